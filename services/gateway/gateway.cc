#include "services/gateway/gateway.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bdtx/v1/sessions.pb.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/server/logging.h"
#include "common/server/trace.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"
#include "openssl/crypto.h"
#include "openssl/rand.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "services/gateway/errors.h"

namespace bdtx::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer FromBytes(std::string bytes) {
  grpc::Slice slice(std::move(bytes));
  return grpc::ByteBuffer(&slice, 1);
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

std::string Frame(uint8_t flags, absl::string_view payload) {
  std::string out(5, '\0');
  out[0] = static_cast<char>(flags);
  const uint32_t n = payload.size();
  out[1] = static_cast<char>(n >> 24);
  out[2] = static_cast<char>(n >> 16);
  out[3] = static_cast<char>(n >> 8);
  out[4] = static_cast<char>(n);
  out.append(payload.data(), payload.size());
  return out;
}

// Browser sign-in cookies (ADR 015). `__Host-`: Secure, Path=/, no Domain, so no
// subdomain can plant them (what makes the double-submit CSRF check sound).
constexpr char kSessionCookie[] = "__Host-bdtx_session";  // the access token (HttpOnly)
constexpr char kRefreshCookie[] = "__Host-bdtx_refresh";  // the refresh token (HttpOnly)
constexpr char kCsrfCookie[] = "__Host-bdtx_csrf";        // readable by the page's script

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

std::string SetCookie(absl::string_view name, absl::string_view value, int64_t max_age,
                      bool http_only) {
  return absl::StrCat(name, "=", value, "; Path=/; Max-Age=", max_age,
                      http_only ? "; HttpOnly" : "", "; Secure; SameSite=Strict");
}

std::string NewCsrfToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) std::abort();  // no entropy: nothing sound goes on
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(raw), sizeof raw));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

// Per-client token buckets. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  // 0 when allowed; otherwise the seconds to wait (≥ 1).
  int Take(const std::string& client) {
    if (rate_ <= 0) return 0;
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    if (buckets_.size() > 100'000) buckets_.clear();  // bounded memory under address floods
    auto [it, inserted] = buckets_.try_emplace(client, Bucket{burst_, now});
    Bucket& b = it->second;
    b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.at) * rate_);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / rate_)));
  }

 private:
  struct Bucket {
    double tokens;
    absl::Time at;
  };
  const double rate_, burst_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

class Session;

// The calls in flight, so shutdown can cancel them and wait for their end before the
// I/O context their events are posted to goes away. Thread-safe.
class CallRegistry {
 public:
  void Add(grpc::ClientContext* c) {
    absl::MutexLock lock(&mu_);
    calls_.insert(c);
  }
  void Remove(grpc::ClientContext* c) {
    absl::MutexLock lock(&mu_);
    calls_.erase(c);
  }
  // Cancels every call and waits (up to `timeout`) until each has ended.
  void CancelAllAndWait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    for (grpc::ClientContext* c : calls_) c->TryCancel();
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::set<grpc::ClientContext*>* c) { return c->empty(); }, &calls_),
        timeout);
  }

 private:
  absl::Mutex mu_;
  std::set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);
};

// One gRPC call of any shape through the generic stub. Events go to the session's
// strand; the session asks for each next message when it has written the last one.
class Call : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
             public std::enable_shared_from_this<Call> {
 public:
  struct Events {
    std::function<void(std::string)> on_message;
    std::function<void()> on_write_done;
    std::function<void(grpc::Status, std::string details_bin)> on_done;
  };
  Call(grpc::GenericStub* stub, const std::string& method, Events events, CallRegistry* registry)
      : stub_(stub), method_(method), events_(std::move(events)), registry_(registry) {}

  grpc::ClientContext& context() { return context_; }

  void Start() {
    self_ = shared_from_this();
    registry_->Add(&context_);
    stub_->PrepareBidiStreamingCall(&context_, method_, grpc::StubOptions(), this);
    AddHold();
    StartCall();
  }
  void Write(std::string bytes, bool last = false) {
    write_buffer_ = FromBytes(std::move(bytes));
    if (last) {
      StartWriteLast(&write_buffer_, grpc::WriteOptions());
    } else {
      StartWrite(&write_buffer_);
    }
  }
  void WritesDone() { StartWritesDone(); }
  void Read() {
    if (reading_done_.load()) return;
    StartRead(&read_buffer_);
  }
  // The HTTP side went away: cancel, and make sure a read is pending so the hold that
  // keeps OnDone back is released.
  void Abort(bool read_pending) {
    context_.TryCancel();
    if (!read_pending && !reading_done_.load()) StartRead(&read_buffer_);
  }

  void OnWriteDone(bool ok) override {
    if (events_.on_write_done) events_.on_write_done();
  }
  void OnReadDone(bool ok) override {
    if (ok) {
      events_.on_message(ToBytes(read_buffer_));
      return;
    }
    reading_done_ = true;
    RemoveHold();
  }
  void OnDone(const grpc::Status& status) override {
    std::string details = status.error_details();
    events_.on_done(status, std::move(details));
    events_ = {};  // releases the session
    registry_->Remove(&context_);
    self_.reset();  // may delete this
  }

 private:
  grpc::GenericStub* stub_;
  std::string method_;
  Events events_;
  grpc::ClientContext context_;
  grpc::ByteBuffer write_buffer_, read_buffer_;
  std::atomic<bool> reading_done_{false};
  CallRegistry* registry_;
  std::shared_ptr<Call> self_;
};

}  // namespace

struct Gateway::Impl : std::enable_shared_from_this<Gateway::Impl> {
  GatewayOptions options;
  RouteTable routes;
  // A pointer so Shutdown can destroy it: that destroys the handlers not yet run and
  // the sessions they hold (their shared_ptrs would otherwise keep each other alive).
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  CallRegistry calls;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  struct Backend {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  std::map<std::string, Backend> backends;  // by service full name
  RateLimiter limiter;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* latency = nullptr;
  std::atomic<bool> stopping{false};

  Impl(GatewayOptions o, RouteTable r)
      : options(std::move(o)),
        routes(std::move(r)),
        limiter(options.rate_per_second, options.rate_burst) {
    for (const auto& [service, address] : options.backends) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(64 << 20);
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
      if (!options.backend_ca_pem.empty()) {
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = options.backend_ca_pem;
        credentials = grpc::SslCredentials(ssl);
      }
      auto channel = grpc::CreateCustomChannel(address, credentials, args);
      backends[service] = {channel, std::make_unique<grpc::GenericStub>(channel)};
    }
    requests = &prometheus::BuildCounter()
                    .Name("bdtx_gateway_requests_total")
                    .Help("HTTP requests by route (template) and status")
                    .Register(*registry);
    latency = &prometheus::BuildHistogram()
                   .Name("bdtx_gateway_request_duration_seconds")
                   .Help("Time from request headers to the end of the response, by route")
                   .Register(*registry);
  }

  void Record(const std::string& route, int status, absl::Duration took) {
    requests->Add({{"route", route}, {"code", absl::StrCat(status)}}).Increment();
    static const prometheus::Histogram::BucketBoundaries kBounds = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    latency->Add({{"route", route}}, kBounds).Observe(absl::ToDoubleSeconds(took));
  }

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Gateway::Impl> gw)
      : stream_(std::move(socket)), gw_(std::move(gw)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    client_ = ec ? "unknown" : ep.address().to_string();
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  enum class Mode { kNone, kRestUnary, kRestSse, kRestRaw, kGrpcWeb };

  // ---- reading -------------------------------------------------------------------
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(boost::none);  // enforced per kind below
    body_.clear();
    mode_ = Mode::kNone;
    headers_sent_ = false;
    finished_ = false;
    call_.reset();
    // Every per-request field starts afresh on a kept-alive connection.
    read_pending_ = false;
    client_gone_ = false;
    uploading_ = false;
    uploaded_ = 0;
    aborted_status_ = absl::OkStatus();
    unary_response_.clear();
    pending_writes_.clear();
    grpc_web_text_ = false;
    grpc_web_writing_ = false;
    route_ = nullptr;
    bindings_.clear();
    status_for_metrics_ = 0;
    extra_headers_.clear();
    uses_cookie_ = false;
    browser_ = false;
    csp_ = "default-src 'none'";
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout) {
      return Close();
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      return SendError(431, absl::ResourceExhaustedError("tiêu đề yêu cầu quá lớn"));
    }
    if (ec) return Close();
    started_ = absl::Now();
    const auto& req = parser_->get();
    // W3C Trace Context: the request's span (a child of the client's traceparent when it
    // sent exactly one valid one, else a new trace), handed on to the backend call.
    {
      std::optional<server::TraceParent> parent;
      if (req.count("traceparent") == 1)
        parent = server::ParseTraceparent(std::string(req["traceparent"]));
      trace_ =
          std::make_shared<const server::TraceContext>(server::TraceContext::StartSpan(parent));
    }
    log_access_ = true;
    keep_alive_ = req.keep_alive();
    method_ = std::string(req.method_string());
    const std::string target(req.target());
    const size_t q = target.find('?');
    path_ = target.substr(0, q);
    query_ = q == std::string::npos ? "" : target.substr(q + 1);
    origin_ = std::string(req[http::field::origin]);
    route_label_ = "other";
    const std::string content_type =
        absl::AsciiStrToLower(std::string(req[http::field::content_type]));

    if (method_ == "OPTIONS") return Preflight();
    if (method_ == "GET" && (path_ == "/healthz" || path_ == "/readyz" || path_ == "/metrics")) {
      log_access_ = false;  // probes and scrapes every few seconds would drown the calls
    }
    if (method_ == "GET" && path_ == "/healthz") {
      return SendResponse(200, "text/plain; charset=utf-8", "ok\n");
    }
    if (method_ == "GET" && path_ == "/readyz") return Ready();
    if (method_ == "GET" && path_ == "/metrics") {
      route_label_ = "/metrics";
      prometheus::TextSerializer serializer;
      return SendResponse(200, "text/plain; version=0.0.4",
                          serializer.Serialize(gw_->registry->Collect()));
    }
    if (method_ == "GET" && path_ == "/openapi.json") {
      route_label_ = "/openapi.json";
      return SendResponse(200, "application/json", gw_->options.openapi_json);
    }
    if (method_ == "GET" && (path_ == "/docs" || absl::StartsWith(path_, "/docs/"))) {
      return Docs();
    }
    // The web console owns every other GET outside the API (/v1/...).
    if ((method_ == "GET" || method_ == "HEAD") && gw_->options.console != nullptr &&
        !absl::StartsWith(path_, "/v1/") && path_ != "/v1") {
      return Console(std::string(req[http::field::accept_encoding]));
    }
    // Behind a configured load balancer the client is the last address it appended.
    std::string client = client_;
    if (gw_->options.trusted_proxies.count(client_)) {
      const std::string forwarded(req["X-Forwarded-For"]);
      const size_t comma = forwarded.rfind(',');
      std::string last(absl::StripAsciiWhitespace(
          comma == std::string::npos ? forwarded : forwarded.substr(comma + 1)));
      if (!last.empty()) client = std::move(last);
    }
    client_address_ = client;
    if (const int wait = gw_->limiter.Take(client); wait > 0) {
      extra_headers_.emplace_back("Retry-After", absl::StrCat(wait));
      return SendError(429, absl::ResourceExhaustedError(absl::StrCat(
                                "quá nhiều yêu cầu từ địa chỉ này; thử lại sau ", wait, " giây")));
    }
    if (absl::StartsWith(content_type, "application/grpc-web")) return StartGrpcWeb(content_type);
    return StartRest(content_type);
  }

  // Reads the rest of the body (≤ limit) into body_, then `next`.
  void ReadBody(size_t limit, std::function<void()> next) {
    if (parser_->is_done()) return next();
    if (auto len = parser_->content_length(); len && *len > limit) {
      keep_alive_ = false;
      return SendError(413, absl::ResourceExhaustedError(
                                absl::StrCat("thân yêu cầu quá lớn (tối đa ", limit, " byte)")));
    }
    parser_->get().body().data = chunk_;
    parser_->get().body().size = sizeof chunk_;
    http::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this(), limit, next = std::move(next)](beast::error_code ec, size_t) {
          if (ec == http::error::need_buffer) ec = {};
          if (ec) return self->Close();
          self->body_.append(self->chunk_, sizeof self->chunk_ - self->parser_->get().body().size);
          if (self->body_.size() > limit) {
            self->keep_alive_ = false;
            return self->SendError(413, absl::ResourceExhaustedError(absl::StrCat(
                                            "thân yêu cầu quá lớn (tối đa ", limit, " byte)")));
          }
          self->ReadBody(limit, std::move(next));
        });
  }

  // ---- REST ----------------------------------------------------------------------
  void StartRest(const std::string& content_type) {
    auto match = gw_->routes.Find(method_, path_);
    if (!match.ok()) {
      if (match.status().code() == absl::StatusCode::kUnimplemented) {
        return SendError(405, match.status());
      }
      return SendError(404, match.status());
    }
    route_ = match->route;
    route_label_ = absl::StrCat(route_->http_method, " ", route_->path.text());
    bindings_ = std::move(match->bindings);
    const auto* m = route_->method;
    if (m->client_streaming()) return StartUpload();
    if (!route_->body.empty() && parser_->content_length().value_or(0) > 0 &&
        !absl::StartsWith(content_type, "application/json")) {
      return SendError(415, absl::InvalidArgumentError("thân yêu cầu phải là application/json"));
    }
    ReadBody(gw_->options.max_body_bytes, [this] {
      auto request = NewMessage(route_->method->input_type());
      if (absl::Status s = BuildRequest(*route_, bindings_, query_, body_, false, request.get());
          !s.ok()) {
        return SendError(400, s);
      }
      if (route_->service == "bdtx.v1.Sessions") PrepareSessionRequest(request.get());
      mode_ = !route_->method->server_streaming() ? Mode::kRestUnary
              : route_->response_body.empty()     ? Mode::kRestSse
                                                  : Mode::kRestRaw;
      if (!StartCall(route_->service, route_->grpc_path)) return;
      call_->Write(request->SerializeAsString(), /*last=*/true);
      if (mode_ == Mode::kRestSse) {
        SendStreamHeaders(200, "text/event-stream; charset=utf-8");
        Enqueue(Chunk(": bdtx\n\n"));
        Heartbeat();
      }
      RequestNext();
    });
  }

  // Client streaming (attachments): the first message carries the path and query
  // fields, then one message per body chunk with the body field set, never the whole
  // body in memory; the next chunk is read from the socket only when gRPC took the last.
  void StartUpload() {
    auto first = NewMessage(route_->method->input_type());
    if (absl::Status s = BuildRequest(*route_, bindings_, query_, "", true, first.get()); !s.ok()) {
      return SendError(400, s);
    }
    if (auto len = parser_->content_length(); len && *len > gw_->options.max_upload_bytes) {
      keep_alive_ = false;
      return SendError(413, absl::ResourceExhaustedError(absl::StrCat(
                                "tệp quá lớn (tối đa ", gw_->options.max_upload_bytes, " byte)")));
    }
    mode_ = Mode::kRestUnary;
    uploading_ = true;
    if (!StartCall(route_->service, route_->grpc_path)) return;
    call_->Write(first->SerializeAsString());
  }

  void OnUploadWriteDone() {
    if (!uploading_ || finished_) return;
    if (parser_->is_done()) {
      uploading_ = false;
      call_->WritesDone();
      RequestNext();
      return;
    }
    parser_->get().body().data = chunk_;
    parser_->get().body().size = sizeof chunk_;
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec == http::error::need_buffer) ec = {};
                            self->OnUploadChunk(ec);
                          });
  }

  void OnUploadChunk(beast::error_code ec) {
    if (!uploading_ || finished_) return;  // the call ended first (e.g. refused)
    if (ec) {
      uploading_ = false;
      keep_alive_ = false;
      AbortCall();
      return;
    }
    const size_t n = sizeof chunk_ - parser_->get().body().size;
    uploaded_ += n;
    if (uploaded_ > gw_->options.max_upload_bytes) {
      uploading_ = false;
      keep_alive_ = false;
      aborted_status_ = absl::ResourceExhaustedError(
          absl::StrCat("tệp quá lớn (tối đa ", gw_->options.max_upload_bytes, " byte)"));
      AbortCall();
      return;
    }
    if (n == 0) return OnUploadWriteDone();
    auto message = NewMessage(route_->method->input_type());
    if (absl::Status s = SetBodyBytes(message.get(), absl::string_view(chunk_, n)); !s.ok()) {
      uploading_ = false;
      aborted_status_ = s;
      AbortCall();
      return;
    }
    call_->Write(message->SerializeAsString());
  }

  absl::Status SetBodyBytes(google::protobuf::Message* message, absl::string_view bytes) {
    const auto* f = message->GetDescriptor()->FindFieldByName(route_->body);
    if (f == nullptr || f->type() != google::protobuf::FieldDescriptor::TYPE_BYTES) {
      return absl::InternalError("body field of a streamed upload must be bytes");
    }
    message->GetReflection()->SetString(message, f, std::string(bytes));
    return absl::OkStatus();
  }

  // ---- gRPC-Web --------------------------------------------------------------------
  void StartGrpcWeb(const std::string& content_type) {
    grpc_web_text_ = absl::StartsWith(content_type, "application/grpc-web-text");
    response_content_type_ =
        grpc_web_text_ ? "application/grpc-web-text+proto" : "application/grpc-web+proto";
    if (method_ != "POST") return SendError(405, absl::UnimplementedError("gRPC-Web dùng POST"));
    // "/bdtx.v1.Plans/GetDocument"
    const size_t slash = path_.rfind('/');
    const std::string service = slash == std::string::npos ? "" : path_.substr(1, slash - 1);
    const auto* sd = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    const auto* md = sd == nullptr ? nullptr : sd->FindMethodByName(path_.substr(slash + 1));
    if (md == nullptr || gw_->backends.count(service) == 0) {
      return SendError(404, absl::NotFoundError(absl::StrCat("không có phương thức ", path_)));
    }
    route_label_ = absl::StrCat("grpc-web ", path_);
    ReadBody(gw_->options.max_body_bytes + gw_->options.max_body_bytes / 3 + 8, [this, service] {
      std::string raw = body_;
      if (grpc_web_text_) {
        std::string decoded;
        if (!absl::Base64Unescape(absl::StripAsciiWhitespace(body_), &decoded)) {
          return SendError(400, absl::InvalidArgumentError("thân grpc-web-text không phải base64"));
        }
        raw = std::move(decoded);
      }
      std::vector<std::string> messages;
      size_t at = 0;
      while (at < raw.size()) {
        if (raw.size() - at < 5) {
          return SendError(400, absl::InvalidArgumentError("khung gRPC-Web bị cắt"));
        }
        const uint8_t flags = raw[at];
        const uint32_t n = (uint32_t(uint8_t(raw[at + 1])) << 24) |
                           (uint32_t(uint8_t(raw[at + 2])) << 16) |
                           (uint32_t(uint8_t(raw[at + 3])) << 8) | uint32_t(uint8_t(raw[at + 4]));
        if (n > raw.size() - at - 5) {
          return SendError(400, absl::InvalidArgumentError("khung gRPC-Web bị cắt"));
        }
        if (flags & 1) {
          return SendError(400, absl::UnimplementedError("gRPC-Web nén chưa được hỗ trợ"));
        }
        if (!(flags & 0x80)) messages.push_back(raw.substr(at + 5, n));
        at += 5 + n;
      }
      mode_ = Mode::kGrpcWeb;
      if (!StartCall(service, path_)) return;
      for (auto& m : messages) {
        pending_writes_.push_back(std::move(m));
      }
      grpc_web_writing_ = true;
      PumpGrpcWebWrites();
      // A stream answers its headers at once: an idle watch is visibly connected.
      if (route_streaming()) SendStreamHeaders(200, response_content_type_);
      RequestNext();
    });
  }

  // Writes the request messages one at a time (a reactor allows one write in flight).
  void PumpGrpcWebWrites() {
    if (finished_) return;
    if (pending_writes_.empty()) {
      grpc_web_writing_ = false;
      call_->WritesDone();
      return;
    }
    std::string next = std::move(pending_writes_.front());
    pending_writes_.pop_front();
    if (pending_writes_.empty()) grpc_web_writing_ = false;
    call_->Write(std::move(next), /*last=*/pending_writes_.empty());
  }

  // ---- the call --------------------------------------------------------------------
  bool StartCall(const std::string& service, const std::string& grpc_path) {
    auto backend = gw_->backends.find(service);
    if (backend == gw_->backends.end()) {
      SendError(503, absl::UnavailableError(absl::StrCat("không có máy chủ cho ", service)));
      return false;
    }
    // The events hold the session: nothing else does while only gRPC is working. The
    // cycle (session → call → events → session) ends when the call is done (OnDone
    // drops the events).
    std::shared_ptr<Session> self = shared_from_this();
    auto strand = stream_.get_executor();
    Call::Events events;
    events.on_message = [self, strand](std::string bytes) {
      asio::post(strand, [self, bytes = std::move(bytes)]() mutable {
        self->OnCallMessage(std::move(bytes));
      });
    };
    events.on_write_done = [self, strand] {
      asio::post(strand, [self] {
        if (self->mode_ == Mode::kGrpcWeb && self->grpc_web_writing_) {
          self->PumpGrpcWebWrites();
        } else {
          self->OnUploadWriteDone();
        }
      });
    };
    events.on_done = [self, strand](grpc::Status status, std::string details) {
      asio::post(strand, [self, status = std::move(status), details = std::move(details)] {
        self->OnCallDone(status, details);
      });
    };
    call_ = std::make_shared<Call>(backend->second.stub.get(), grpc_path, std::move(events),
                                   &gw_->calls);
    const auto& req = parser_->get();
    if (auto auth = req[http::field::authorization]; !auth.empty()) {
      call_->context().AddMetadata("authorization", std::string(auth));
    } else if (std::string token =
                   CookieValue(std::string(req[http::field::cookie]), kSessionCookie);
               !token.empty()) {
      uses_cookie_ = true;
      call_->context().AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    // A cookie rides along with any cross-site request: a state-changing one that
    // authenticates by cookie must also prove it was sent by our page, which alone can
    // read the CSRF cookie and echo it in a header (double submit).
    if (uses_cookie_ && method_ != "GET" && method_ != "HEAD") {
      const std::string cookie = CookieValue(std::string(req[http::field::cookie]), kCsrfCookie);
      const std::string header(req["X-CSRF-Token"]);
      if (cookie.empty() || !ConstantTimeEquals(cookie, header)) {
        call_.reset();
        SendError(403, absl::PermissionDeniedError(
                           "thiếu hoặc sai mã chống giả mạo (CSRF): gửi lại giá trị cookie "
                           "__Host-bdtx_csrf trong tiêu đề X-CSRF-Token"));
        return false;
      }
    }
    // Sign-in counts failures per client address (ADR 015): the address the gateway saw.
    call_->context().AddMetadata("x-bdtx-client-address", client_address_);
    call_->context().AddMetadata("traceparent", trace_->Traceparent());
    const bool long_lived = mode_ == Mode::kRestSse || mode_ == Mode::kRestRaw ||
                            (mode_ == Mode::kGrpcWeb && route_streaming());
    if (long_lived) {
      // One stream per connection: the socket is watched for the client leaving.
      keep_alive_ = false;
      stream_.expires_never();
      WatchDisconnect();
    } else {
      call_->context().set_deadline(std::chrono::system_clock::now() +
                                    absl::ToChronoMilliseconds(gw_->options.call_timeout));
    }
    call_->Start();
    return true;
  }

  // Browsers sign in, refresh and sign out with cookies: the refresh token comes from
  // its HttpOnly cookie when the body has none (and such a request needs the CSRF check).
  void PrepareSessionRequest(google::protobuf::Message* request) {
    const auto* d = request->GetDescriptor();
    const auto* r = request->GetReflection();
    if (const auto* f = d->FindFieldByName("browser")) browser_ = r->GetBool(*request, f);
    const auto* token = d->FindFieldByName("refresh_token");
    if (token != nullptr && r->GetString(*request, token).empty()) {
      std::string cookie =
          CookieValue(std::string(parser_->get()[http::field::cookie]), kRefreshCookie);
      if (!cookie.empty()) {
        r->SetString(request, token, std::move(cookie));
        uses_cookie_ = true;
        browser_ = true;
      }
    }
  }

  // A browser's tokens go into HttpOnly cookies, out of reach of the page's scripts,
  // and out of the JSON; the page gets the CSRF token instead. Signing out clears them.
  void FinishSessionResponse(google::protobuf::Message* message) {
    if (route_->method->name() == "DeleteSession") {
      for (const char* name : {kSessionCookie, kRefreshCookie}) {
        extra_headers_.emplace_back("Set-Cookie", SetCookie(name, "", 0, true));
      }
      extra_headers_.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, "", 0, false));
      return;
    }
    auto* session = dynamic_cast<bdtx::v1::Session*>(message);
    if (session == nullptr || !browser_) return;
    const std::string csrf = NewCsrfToken();
    extra_headers_.emplace_back("Set-Cookie",
                                SetCookie(kSessionCookie, session->access_token(),
                                          session->access_expires_in_seconds(), true));
    extra_headers_.emplace_back("Set-Cookie",
                                SetCookie(kRefreshCookie, session->refresh_token(),
                                          session->refresh_expires_in_seconds(), true));
    extra_headers_.emplace_back(
        "Set-Cookie", SetCookie(kCsrfCookie, csrf, session->refresh_expires_in_seconds(), false));
    session->clear_access_token();
    session->clear_refresh_token();
    session->set_csrf_token(csrf);
  }

  bool route_streaming() const {
    const size_t slash = path_.rfind('/');
    const auto* sd = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        slash == std::string::npos ? "" : path_.substr(1, slash - 1));
    const auto* md = sd == nullptr ? nullptr : sd->FindMethodByName(path_.substr(slash + 1));
    return md != nullptr && (md->server_streaming() || md->client_streaming());
  }

  void RequestNext() {
    if (read_pending_) return;
    read_pending_ = true;
    call_->Read();
  }

  // Cancels the call; keeps exactly one read outstanding so the call can end.
  void AbortCall() {
    const bool had_read = read_pending_;
    read_pending_ = true;
    call_->Abort(had_read);
  }

  // A long-lived response reads nothing more from the client; a read that ends means
  // the client went away, so the backend call is cancelled.
  void WatchDisconnect() {
    stream_.socket().async_read_some(asio::buffer(probe_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec && !self->finished_ && self->call_) {
                                         self->client_gone_ = true;
                                         self->AbortCall();
                                       }
                                     });
  }

  void OnCallMessage(std::string bytes) {
    read_pending_ = false;
    if (client_gone_) return AbortCall();
    switch (mode_) {
      case Mode::kRestUnary:
        unary_response_ = std::move(bytes);
        RequestNext();
        return;
      case Mode::kRestSse: {
        auto message = NewMessage(route_->method->output_type());
        if (!message->ParseFromString(bytes)) return AbortCall();
        auto json = ToJson(*message);
        if (!json.ok()) return AbortCall();
        Enqueue(Chunk(absl::StrCat("data: ", *json, "\n\n")), /*then_read=*/true);
        return;
      }
      case Mode::kRestRaw: {
        auto message = NewMessage(route_->method->output_type());
        if (!message->ParseFromString(bytes)) return AbortCall();
        const auto* f = message->GetDescriptor()->FindFieldByName(route_->response_body);
        std::string data = message->GetReflection()->GetString(*message, f);
        if (!headers_sent_) SendStreamHeaders(200, "application/octet-stream");
        if (data.empty()) return RequestNext();
        Enqueue(Chunk(data), /*then_read=*/true);
        return;
      }
      case Mode::kGrpcWeb: {
        if (!headers_sent_) SendStreamHeaders(200, response_content_type_);
        std::string frame = Frame(0, bytes);
        Enqueue(Chunk(grpc_web_text_ ? absl::Base64Escape(frame) : frame), /*then_read=*/true);
        return;
      }
      case Mode::kNone:
        return;
    }
  }

  void OnCallDone(const grpc::Status& status, const std::string& details) {
    finished_ = true;
    uploading_ = false;
    grpc::Status effective = status;
    if (!aborted_status_.ok()) {
      effective = grpc::Status(static_cast<grpc::StatusCode>(aborted_status_.code()),
                               std::string(aborted_status_.message()));
    } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      // The transport's text names internal addresses: logged, not shown.
      server::ScopedTrace scope(trace_);
      server::LogWarning("backend call failed", {{"route", route_label_},
                                                 {"code", CodeName(status.error_code())},
                                                 {"error", status.error_message()}});
      effective = grpc::Status(status.error_code(),
                               status.error_code() == grpc::StatusCode::UNAVAILABLE
                                   ? "dịch vụ tạm thời không sẵn sàng, vui lòng thử lại sau"
                                   : "dịch vụ trả lời quá chậm, vui lòng thử lại sau",
                               status.error_details());
    }
    if (client_gone_) return Close();
    switch (mode_) {
      case Mode::kRestUnary: {
        if (!effective.ok()) {
          if (int wait = RetryAfterSeconds(details); wait > 0) {
            extra_headers_.emplace_back("Retry-After", absl::StrCat(wait));
          }
          return SendHttpError(
              ToHttpError(effective.error_code(), effective.error_message(), details));
        }
        auto message = NewMessage(route_->method->output_type());
        if (!message->ParseFromString(unary_response_)) {
          return SendError(502, absl::InternalError("phản hồi của máy chủ không đọc được"));
        }
        if (!route_->response_body.empty()) {
          const auto* f = message->GetDescriptor()->FindFieldByName(route_->response_body);
          std::string content_type = "application/octet-stream";
          if (const auto* mt = message->GetDescriptor()->FindFieldByName("media_type");
              mt != nullptr && mt->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
              !message->GetReflection()->GetString(*message, mt).empty()) {
            content_type = message->GetReflection()->GetString(*message, mt);
          }
          return SendResponse(200, content_type, message->GetReflection()->GetString(*message, f));
        }
        if (route_->service == "bdtx.v1.Sessions") FinishSessionResponse(message.get());
        auto json = ToJson(*message);
        if (!json.ok()) return SendError(500, json.status());
        return SendResponse(200, "application/json", *json);
      }
      case Mode::kRestSse: {
        if (!effective.ok() && effective.error_code() != grpc::StatusCode::CANCELLED) {
          HttpError e = ToHttpError(effective.error_code(), effective.error_message(), details);
          Enqueue(Chunk(absl::StrCat("event: error\ndata: ", e.json, "\n\n")));
        }
        status_for_metrics_ = effective.ok() ? 200 : HttpStatusForCode(effective.error_code());
        return EndStream();
      }
      case Mode::kRestRaw:
        if (!headers_sent_) {
          if (!effective.ok()) {
            return SendHttpError(
                ToHttpError(effective.error_code(), effective.error_message(), details));
          }
          SendStreamHeaders(200, "application/octet-stream");
        } else if (!effective.ok()) {
          keep_alive_ = false;  // truncated on purpose: the client must not take it as whole
          return Close();
        }
        return EndStream();
      case Mode::kGrpcWeb: {
        if (!headers_sent_) SendStreamHeaders(200, response_content_type_);
        std::string trailers =
            absl::StrCat("grpc-status:", static_cast<int>(effective.error_code()), "\r\n");
        if (!effective.ok()) {
          absl::StrAppend(&trailers, "grpc-message:", PercentEncode(effective.error_message()),
                          "\r\n");
          if (!details.empty()) {
            absl::StrAppend(&trailers, "grpc-status-details-bin:", absl::Base64Escape(details),
                            "\r\n");
          }
        }
        std::string frame = Frame(0x80, trailers);
        Enqueue(Chunk(grpc_web_text_ ? absl::Base64Escape(frame) : frame));
        status_for_metrics_ = HttpStatusForCode(effective.error_code());
        return EndStream();
      }
      case Mode::kNone:
        return Close();
    }
  }

  static std::string PercentEncode(absl::string_view in) {
    std::string out;
    for (unsigned char c : in) {
      if (c >= 0x20 && c < 0x7f && c != '%') {
        out.push_back(c);
      } else {
        absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
      }
    }
    return out;
  }

  // ---- writing ---------------------------------------------------------------------
  std::string CommonHeaders() {
    std::string h =
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "Strict-Transport-Security: max-age=31536000\r\n";
    absl::StrAppend(&h, "Content-Security-Policy: ", csp_, "; frame-ancestors 'none'\r\n");
    bool cache = false;
    for (const auto& [k, v] : extra_headers_) cache = cache || k == "Cache-Control";
    if (!cache) absl::StrAppend(&h, "Cache-Control: no-store\r\n");
    if (!origin_.empty() && gw_->options.cors_origins.count(origin_)) {
      absl::StrAppend(&h, "Access-Control-Allow-Origin: ", origin_,
                      "\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"
                      "Access-Control-Expose-Headers: grpc-status, grpc-message, "
                      "grpc-status-details-bin, Retry-After\r\n");
    }
    for (const auto& [k, v] : extra_headers_) absl::StrAppend(&h, k, ": ", v, "\r\n");
    return h;
  }

  void SendResponse(int status, absl::string_view content_type, absl::string_view body) {
    status_for_metrics_ = status;
    std::string out =
        absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n", CommonHeaders(),
                     "Content-Type: ", content_type, "\r\nContent-Length: ", body.size(), "\r\n",
                     keep_alive_ ? "" : "Connection: close\r\n", "\r\n");
    if (method_ != "HEAD") out.append(body.data(), body.size());
    headers_sent_ = true;
    Enqueue(std::move(out));
    Finish();
  }

  // An error the gateway itself finds; `http_status` wins over the code's own mapping
  // (413, 415, 405, 431 have no gRPC code of their own).
  void SendError(int http_status, const absl::Status& status) {
    SendHttpError(ToHttpError(static_cast<int>(status.code()), status.message(), "", http_status));
  }

  void SendHttpError(const HttpError& e) {
    SendResponse(e.http_status, "application/json", e.json);
  }

  void SendStreamHeaders(int status, absl::string_view content_type) {
    status_for_metrics_ = status;
    headers_sent_ = true;
    Enqueue(absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n", CommonHeaders(),
                         "Content-Type: ", content_type, "\r\nTransfer-Encoding: chunked\r\n",
                         keep_alive_ ? "" : "Connection: close\r\n", "\r\n"));
  }

  void EndStream() {
    Enqueue("0\r\n\r\n");
    Finish();
  }

  // After the last bytes are written: the next request, or close.
  void Finish() {
    finished_ = true;
    after_writes_ = true;
    const absl::Duration took = absl::Now() - started_;
    gw_->Record(route_label_, status_for_metrics_, took);
    if (log_access_) {
      server::ScopedTrace scope(trace_);
      server::Log(status_for_metrics_ < 500 ? server::LogLevel::kInfo : server::LogLevel::kWarning,
                  "request",
                  {{"method", method_},
                   {"route", route_label_},
                   {"status", absl::StrCat(status_for_metrics_)},
                   {"duration_ms", absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(took))},
                   {"parent_span_id", trace_ ? trace_->parent_span_id : ""}});
    }
    if (!writing_) AfterWrites();
  }

  void Enqueue(std::string bytes, bool then_read = false) {
    writes_.push_back({std::move(bytes), then_read});
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (writes_.empty()) {
      writing_ = false;
      if (after_writes_) AfterWrites();
      return;
    }
    writing_ = true;
    if (mode_ == Mode::kNone || mode_ == Mode::kRestUnary) {
      stream_.expires_after(std::chrono::seconds(60));
    }
    asio::async_write(stream_, asio::buffer(writes_.front().bytes),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        const bool then_read = self->writes_.front().then_read;
                        self->writes_.pop_front();
                        if (ec) {
                          self->client_gone_ = true;
                          if (self->call_ && !self->finished_) self->AbortCall();
                          return self->Close();
                        }
                        if (then_read && !self->finished_ && !self->client_gone_) {
                          self->RequestNext();
                        }
                        self->WriteNext();
                      });
  }

  void AfterWrites() {
    after_writes_ = false;
    if (!keep_alive_ || closed_ || client_gone_) return Close();
    if (!parser_->is_done()) return Close();  // unread body: cannot find the next request
    ReadHeader();
  }

  void Preflight() {
    route_label_ = "OPTIONS";
    if (origin_.empty() || !gw_->options.cors_origins.count(origin_)) {
      return SendError(403, absl::PermissionDeniedError("nguồn gốc (origin) không được phép"));
    }
    extra_headers_.emplace_back("Access-Control-Allow-Methods",
                                "GET, POST, PATCH, PUT, DELETE, OPTIONS");
    extra_headers_.emplace_back(
        "Access-Control-Allow-Headers",
        "authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, "
        "connect-protocol-version, x-csrf-token, traceparent");
    extra_headers_.emplace_back("Access-Control-Max-Age", "600");
    SendResponse(204, "text/plain", "");
  }

  // Swagger UI: our own page and initializer (no inline script), the viewer's files
  // from a fixed list (no path from the request reaches the file system).
  void Docs() {
    route_label_ = "/docs";
    csp_ = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";
    if (gw_->options.docs_dir.empty()) {
      return SendError(404,
                       absl::NotFoundError("trình xem tài liệu API chưa được cài (--docs_dir)"));
    }
    const std::string file = path_ == "/docs" ? "" : path_.substr(6);
    if (file.empty() || file == "index.html") {
      return SendResponse(
          200, "text/html; charset=utf-8",
          "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>bdtx API"
          "</title><link rel=\"stylesheet\" href=\"/docs/swagger-ui.css\"></head><body>"
          "<div id=\"swagger-ui\"></div><script src=\"/docs/swagger-ui-bundle.js\"></script>"
          "<script src=\"/docs/init.js\"></script></body></html>");
    }
    if (file == "init.js") {
      return SendResponse(200, "text/javascript",
                          "window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: "
                          "'#swagger-ui'});\n");
    }
    static const std::map<std::string, std::string> kFiles = {
        {"swagger-ui.css", "text/css"},
        {"swagger-ui-bundle.js", "text/javascript"},
        {"favicon-32x32.png", "image/png"}};
    auto it = kFiles.find(file);
    if (it == kFiles.end()) return SendError(404, absl::NotFoundError("không có tệp này"));
    std::ifstream in(gw_->options.docs_dir + "/" + it->first, std::ios::binary);
    if (!in) return SendError(404, absl::NotFoundError("không có tệp này"));
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    extra_headers_.emplace_back("Cache-Control", "public, max-age=3600");
    SendResponse(200, it->second, content);
  }

  // The console's files (static_site.h): exact lookups only, the SPA fallback for client
  // routes, gzip when the build wrote it and the browser takes it. The CSP allows only
  // the console's own scripts, styles and API calls (no inline script or style).
  void Console(const std::string& accept_encoding) {
    route_label_ = "console";
    csp_ =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
        "form-action 'self'";
    const StaticSite::File* file = gw_->options.console->Find(path_);
    if (file == nullptr) return SendError(404, absl::NotFoundError("không có tệp này"));
    extra_headers_.emplace_back("Cache-Control", file->cache_control);
    if (!file->gzip.empty()) {
      extra_headers_.emplace_back("Vary", "Accept-Encoding");
      bool gzip = false;
      for (absl::string_view part : absl::StrSplit(accept_encoding, ',')) {
        part = absl::StripAsciiWhitespace(part);
        gzip = gzip || part == "gzip" || absl::StartsWith(part, "gzip;");
      }
      if (gzip) {
        extra_headers_.emplace_back("Content-Encoding", "gzip");
        return SendResponse(200, file->content_type, file->gzip);
      }
    }
    SendResponse(200, file->content_type, file->content);
  }

  void Ready() {
    route_label_ = "/readyz";
    struct State {
      absl::Mutex mu;
      int left;
      std::map<std::string, std::string> result;
    };
    auto state = std::make_shared<State>();
    state->left = gw_->backends.size();
    if (state->left == 0) return SendResponse(503, "application/json", "{}");
    std::shared_ptr<Session> self = shared_from_this();
    auto strand = stream_.get_executor();
    for (auto& [service, backend] : gw_->backends) {
      struct Probe {
        grpc::ClientContext ctx;
        grpc::ByteBuffer request, response;
      };
      auto probe = std::make_shared<Probe>();
      probe->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      probe->request = FromBytes(grpc::health::v1::HealthCheckRequest().SerializeAsString());
      const std::string name = service;
      CallRegistry* calls = &gw_->calls;
      calls->Add(&probe->ctx);
      backend.stub->UnaryCall(
          &probe->ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &probe->request,
          &probe->response, [probe, state, name, self, strand, calls](grpc::Status s) {
            // Posted (or not) before the registry lets shutdown go on.
            absl::Cleanup done = [calls, probe] { calls->Remove(&probe->ctx); };
            grpc::health::v1::HealthCheckResponse r;
            const bool serving = s.ok() && r.ParseFromString(ToBytes(probe->response)) &&
                                 r.status() == grpc::health::v1::HealthCheckResponse::SERVING;
            bool last;
            {
              absl::MutexLock lock(&state->mu);
              state->result[name] = serving ? "SERVING" : (s.ok() ? "NOT_SERVING" : "UNAVAILABLE");
              last = --state->left == 0;
            }
            if (!last) return;
            asio::post(strand, [self, state] {
              bool all = true;
              std::vector<std::string> parts;
              for (const auto& [k, v] : state->result) {
                all = all && v == "SERVING";
                parts.push_back(absl::StrCat("\"", k, "\":\"", v, "\""));
              }
              self->SendResponse(all ? 200 : 503, "application/json",
                                 absl::StrCat("{\"backends\":{", absl::StrJoin(parts, ","), "}}"));
            });
          });
    }
  }

  // An idle event stream gets a comment every 20 s: proxies keep it open, and a client
  // that went away is noticed by the failed write.
  void Heartbeat() {
    heartbeat_.emplace(stream_.get_executor());
    heartbeat_->expires_after(std::chrono::seconds(20));
    heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_ || self->client_gone_ || self->closed_) return;
      self->Enqueue(Chunk(": ping\n\n"));
      self->Heartbeat();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (heartbeat_) heartbeat_->cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  struct Write {
    std::string bytes;
    bool then_read;
  };

  beast::tcp_stream stream_;
  std::shared_ptr<Gateway::Impl> gw_;
  std::string client_;
  std::string client_address_;  // client_, or the client a trusted proxy names
  bool uses_cookie_ = false;    // this request authenticates by cookie (CSRF applies)
  bool browser_ = false;        // a sign-in whose tokens go into cookies
  beast::flat_buffer buffer_{16 * 1024};
  std::optional<http::request_parser<http::buffer_body>> parser_;
  char chunk_[64 * 1024];
  char probe_[1];
  std::string body_;
  std::string method_, path_, query_, origin_, route_label_, csp_;
  bool keep_alive_ = true;
  absl::Time started_;
  std::shared_ptr<const server::TraceContext> trace_;  // this request's span
  bool log_access_ = false;
  const Route* route_ = nullptr;
  PathTemplate::Bindings bindings_;
  Mode mode_ = Mode::kNone;
  std::shared_ptr<Call> call_;
  std::string unary_response_;
  bool read_pending_ = false;
  bool headers_sent_ = false;
  bool finished_ = false;
  bool client_gone_ = false;
  bool closed_ = false;
  bool uploading_ = false;
  size_t uploaded_ = 0;
  absl::Status aborted_status_;
  bool grpc_web_text_ = false;
  bool grpc_web_writing_ = false;
  std::deque<std::string> pending_writes_;
  std::string response_content_type_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::deque<Write> writes_;
  std::optional<asio::steady_timer> heartbeat_;
  bool writing_ = false;
  bool after_writes_ = false;
  int status_for_metrics_ = 0;
};

}  // namespace

void Gateway::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*io),
                         [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                           if (self->stopping) return;
                           if (!ec) {
                             socket.set_option(tcp::no_delay(true), ec);
                             std::make_shared<Session>(std::move(socket), self)->Run();
                           }
                           self->Accept();
                         });
}

Gateway::Gateway(GatewayOptions options, RouteTable routes)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(routes))) {}

Gateway::~Gateway() { Shutdown(); }

absl::StatusOr<int> Gateway::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.listen_host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen host: ", ec.message()));
  impl_->acceptor.emplace(*impl_->io);
  tcp::endpoint endpoint(address, impl_->options.listen_port);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", impl_->options.listen_host, ":",
                                               impl_->options.listen_port, ": ", ec.message()));
  }
  const int port = impl_->acceptor->local_endpoint().port();
  impl_->work.emplace(impl_->io->get_executor());
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->io->run(); });
  }
  return port;
}

void Gateway::Shutdown() {
  if (impl_->stopping.exchange(true)) return;
  if (!impl_->acceptor) return;  // never started
  impl_->work.reset();
  impl_->io->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Calls in flight end now (their events are posted to the stopped context, never run);
  // then destroying the context frees every session and handler.
  impl_->calls.CancelAllAndWait(absl::Seconds(5));
  impl_->acceptor.reset();
  impl_->io.reset();
}

}  // namespace bdtx::gateway
