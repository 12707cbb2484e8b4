#include "common/server/metrics.h"

#include <atomic>
#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"

namespace bdtx::server {
namespace {

namespace gx = grpc::experimental;

// gRPC's status codes as Prometheus label values (the names go-grpc-prometheus uses).
const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "Canceled";
    case grpc::UNKNOWN:
      return "Unknown";
    case grpc::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::NOT_FOUND:
      return "NotFound";
    case grpc::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::ABORTED:
      return "Aborted";
    case grpc::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::INTERNAL:
      return "Internal";
    case grpc::UNAVAILABLE:
      return "Unavailable";
    case grpc::DATA_LOSS:
      return "DataLoss";
    case grpc::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

// "/bdtx.v1.Approvals/Submit" -> {"bdtx.v1.Approvals", "Submit"}.
std::pair<std::string, std::string> SplitMethod(absl::string_view full) {
  if (!full.empty() && full[0] == '/') full.remove_prefix(1);
  const size_t slash = full.find('/');
  if (slash == absl::string_view::npos) return {std::string(full), "unknown"};
  return {std::string(full.substr(0, slash)), std::string(full.substr(slash + 1))};
}

// Latency buckets (seconds) from 0.5 ms to 30 s: calls here take ~0.1–10 ms, imports and
// exports seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

// One side (server or client) of the conventional gRPC metrics.
struct RpcFamilies {
  RpcFamilies(prometheus::Registry& r, const std::string& side)
      : started(prometheus::BuildCounter()
                    .Name("grpc_" + side + "_started_total")
                    .Help("RPCs started, by method")
                    .Register(r)),
        handled(prometheus::BuildCounter()
                    .Name("grpc_" + side + "_handled_total")
                    .Help("RPCs completed, by method and status code")
                    .Register(r)),
        seconds(prometheus::BuildHistogram()
                    .Name("grpc_" + side + "_handling_seconds")
                    .Help("time from the start of an RPC to its status, by method")
                    .Register(r)) {}
  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& seconds;
};

const char* ServerType(gx::ServerRpcInfo::Type type) {
  switch (type) {
    case gx::ServerRpcInfo::Type::UNARY:
      return "unary";
    case gx::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case gx::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case gx::ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

const char* ClientType(gx::ClientRpcInfo::Type type) {
  switch (type) {
    case gx::ClientRpcInfo::Type::UNARY:
      return "unary";
    case gx::ClientRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case gx::ClientRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case gx::ClientRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
    default:
      return "unknown";
  }
}

// Counts the start when created (gRPC creates it as the call starts) and the status with
// its time at the hook where the status is known.
class RpcInterceptor : public gx::Interceptor {
 public:
  RpcInterceptor(RpcFamilies* families, gx::InterceptionHookPoints status_hook,
                 absl::string_view method, const char* type)
      : families_(families), status_hook_(status_hook), start_(absl::Now()) {
    auto [service, name] = SplitMethod(method);
    labels_ = {{"grpc_type", type},
               {"grpc_service", std::move(service)},
               {"grpc_method", std::move(name)}};
    families_->started.Add(labels_).Increment();
  }

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(status_hook_)) {
      const grpc::Status status = status_hook_ == gx::InterceptionHookPoints::PRE_SEND_STATUS
                                      ? methods->GetSendStatus()
                                      : *methods->GetRecvStatus();
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
      families_->seconds.Add(labels_, LatencyBuckets()).Observe(seconds);
      auto labels = labels_;
      labels.emplace("grpc_code", CodeName(status.error_code()));
      families_->handled.Add(labels).Increment();
    }
    methods->Proceed();
  }

 private:
  RpcFamilies* const families_;
  const gx::InterceptionHookPoints status_hook_;
  const absl::Time start_;
  std::map<std::string, std::string> labels_;
};

// One set of families per registry and side ("server" or "client") however many servers
// or channels (the health server too); never freed (interceptors outlive any scope).
RpcFamilies* FamiliesOf(prometheus::Registry& registry, const std::string& side) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* families = new std::map<std::pair<prometheus::Registry*, std::string>, RpcFamilies*>;
  absl::MutexLock lock(&mu);
  RpcFamilies*& f = (*families)[{&registry, side}];
  if (f == nullptr) f = new RpcFamilies(registry, side);
  return f;
}

class ServerFactory : public gx::ServerInterceptorFactoryInterface {
 public:
  explicit ServerFactory(prometheus::Registry& registry)
      : families_(FamiliesOf(registry, "server")) {}
  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new RpcInterceptor(families_, gx::InterceptionHookPoints::PRE_SEND_STATUS,
                              info->method(), ServerType(info->type()));
  }

 private:
  RpcFamilies* const families_;
};

class ClientFactory : public gx::ClientInterceptorFactoryInterface {
 public:
  explicit ClientFactory(prometheus::Registry& registry)
      : families_(FamiliesOf(registry, "client")) {}
  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo* info) override {
    return new RpcInterceptor(families_, gx::InterceptionHookPoints::POST_RECV_STATUS,
                              info->method(), ClientType(info->type()));
  }

 private:
  RpcFamilies* const families_;
};

}  // namespace

std::shared_ptr<prometheus::Registry> SharedMetricsRegistry() {
  static auto* registry =
      new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}

prometheus::Registry& MetricsRegistry() { return *SharedMetricsRegistry(); }

std::unique_ptr<gx::ServerInterceptorFactoryInterface> NewServerMetricsInterceptorFactory(
    prometheus::Registry& registry) {
  return std::make_unique<ServerFactory>(registry);
}

std::unique_ptr<gx::ClientInterceptorFactoryInterface> NewClientMetricsInterceptorFactory(
    prometheus::Registry& registry) {
  return std::make_unique<ClientFactory>(registry);
}

// RocksDB's figures, read at each scrape.
class EventStoreMetrics::Collector : public prometheus::Collectable {
 public:
  void Attach(const eventstore::RocksDbEventStore* store) {
    absl::MutexLock lock(&mu_);
    store_ = store;
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    std::vector<prometheus::MetricFamily> out;
    if (store_ == nullptr) return out;
    auto add = [&](const char* name, const char* help, prometheus::MetricType type,
                   std::optional<uint64_t> value, double scale = 1) {
      if (!value) return;
      prometheus::MetricFamily family{name, help, type, {}};
      prometheus::ClientMetric metric;
      if (type == prometheus::MetricType::Counter) {
        metric.counter.value = static_cast<double>(*value) * scale;
      } else {
        metric.gauge.value = static_cast<double>(*value) * scale;
      }
      family.metric.push_back(std::move(metric));
      out.push_back(std::move(family));
    };
    using prometheus::MetricType;
    add("bdtx_eventstore_last_position", "global position of the newest durable event",
        MetricType::Gauge, static_cast<uint64_t>(store_->LastPosition()));
    add("bdtx_rocksdb_stall_seconds_total",
        "time writes were stalled or slowed by RocksDB (too many L0 files, pending compaction)",
        MetricType::Counter, store_->Ticker("rocksdb.stall.micros"), 1e-6);
    add("bdtx_rocksdb_write_stopped", "1 while RocksDB stops all writes", MetricType::Gauge,
        store_->IntProperty("rocksdb.is-write-stopped"));
    add("bdtx_rocksdb_pending_compaction_bytes", "bytes RocksDB estimates compaction must rewrite",
        MetricType::Gauge, store_->IntProperty("rocksdb.estimate-pending-compaction-bytes"));
    add("bdtx_rocksdb_live_sst_bytes", "bytes of the SST files the current version uses",
        MetricType::Gauge, store_->IntProperty("rocksdb.live-sst-files-size"));
    add("bdtx_rocksdb_memtable_bytes", "bytes of all memtables", MetricType::Gauge,
        store_->IntProperty("rocksdb.cur-size-all-mem-tables"));
    add("bdtx_rocksdb_block_cache_hits_total", "block cache hits", MetricType::Counter,
        store_->Ticker("rocksdb.block.cache.hit"));
    add("bdtx_rocksdb_block_cache_misses_total", "block cache misses", MetricType::Counter,
        store_->Ticker("rocksdb.block.cache.miss"));
    add("bdtx_rocksdb_block_cache_bytes", "bytes in the block cache", MetricType::Gauge,
        store_->IntProperty("rocksdb.block-cache-usage"));
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  const eventstore::RocksDbEventStore* store_ ABSL_GUARDED_BY(mu_) = nullptr;
};

namespace {

prometheus::Histogram& StoreHistogram(prometheus::Registry& r, const std::string& name,
                                      const std::string& help, const prometheus::Labels& labels,
                                      prometheus::Histogram::BucketBoundaries buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add(labels, buckets);
}

}  // namespace

EventStoreMetrics::EventStoreMetrics(prometheus::Registry& registry)
    : append_family_(prometheus::BuildHistogram()
                         .Name("bdtx_eventstore_append_seconds")
                         .Help("time from an append's arrival to its durable answer")
                         .Register(registry)),
      append_ok_(append_family_.Add({{"result", "ok"}}, LatencyBuckets())),
      append_failed_(append_family_.Add({{"result", "error"}}, LatencyBuckets())),
      group_size_(StoreHistogram(registry, "bdtx_eventstore_group_commit_appends",
                                 "appends packed into one synced RocksDB write (group commit)", {},
                                 {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})),
      write_sync_(StoreHistogram(registry, "bdtx_eventstore_write_sync_seconds",
                                 "time of one group's RocksDB write with its WAL sync", {},
                                 LatencyBuckets())),
      collector_(std::make_shared<Collector>()) {}

EventStoreMetrics::~EventStoreMetrics() { collector_->Attach(nullptr); }

std::shared_ptr<prometheus::Collectable> EventStoreMetrics::collectable() const {
  return collector_;
}

void EventStoreMetrics::Attach(const eventstore::RocksDbEventStore* store) {
  collector_->Attach(store);
}

void EventStoreMetrics::OnGroupWritten(size_t appends, absl::Duration write_and_sync) {
  group_size_.Observe(static_cast<double>(appends));
  write_sync_.Observe(absl::ToDoubleSeconds(write_and_sync));
}

void EventStoreMetrics::OnAppendAnswered(absl::Duration latency, bool ok) {
  (ok ? append_ok_ : append_failed_).Observe(absl::ToDoubleSeconds(latency));
}

namespace {

class ScrapeCollector : public prometheus::Collectable {
 public:
  explicit ScrapeCollector(std::function<std::vector<prometheus::MetricFamily>()> collect)
      : collect_(std::move(collect)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return collect_(); }

 private:
  const std::function<std::vector<prometheus::MetricFamily>()> collect_;
};

}  // namespace

namespace {

class CachingCollector : public prometheus::Collectable {
 public:
  CachingCollector(absl::Duration period,
                   std::function<std::vector<prometheus::MetricFamily>()> collect)
      : period_(period), collect_(std::move(collect)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (!collected_ || now - last_ >= period_) {
      last_families_ = collect_();
      last_ = now;
      collected_ = true;
    }
    return last_families_;
  }

 private:
  const absl::Duration period_;
  const std::function<std::vector<prometheus::MetricFamily>()> collect_;
  mutable absl::Mutex mu_;
  mutable bool collected_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Time last_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<prometheus::MetricFamily> last_families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::shared_ptr<prometheus::Collectable> CollectAtMostEvery(
    absl::Duration period, std::function<std::vector<prometheus::MetricFamily>()> collect) {
  return std::make_shared<CachingCollector>(period, std::move(collect));
}

std::shared_ptr<prometheus::Collectable> CollectAtScrape(
    std::function<std::vector<prometheus::MetricFamily>()> collect) {
  return std::make_shared<ScrapeCollector>(std::move(collect));
}

prometheus::MetricFamily GaugeFamily(
    const std::string& name, const std::string& help,
    const std::vector<std::pair<prometheus::Labels, double>>& values) {
  prometheus::MetricFamily family{name, help, prometheus::MetricType::Gauge, {}};
  for (const auto& [labels, value] : values) {
    prometheus::ClientMetric metric;
    for (const auto& [k, v] : labels) metric.label.push_back({k, v});
    metric.gauge.value = value;
    family.metric.push_back(std::move(metric));
  }
  return family;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> sources) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen, " (--metrics_listen): ", e.what()));
  }
  for (auto& source : sources) server->exposer_->RegisterCollectable(source);
  server->sources_ = std::move(sources);
  const std::vector<int> ports = server->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen));
  }
  server->port_ = ports.front();
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace bdtx::server
