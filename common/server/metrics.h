// Prometheus metrics of a bdtx process (prometheus-cpp; docs/operations.md lists every
// metric): the conventional gRPC server and client metrics through interceptors, the
// event store's group commit and RocksDB's own figures, served over HTTP on their own
// port (--metrics_listen).
#ifndef BDTX_COMMON_SERVER_METRICS_H_
#define BDTX_COMMON_SERVER_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/eventstore/event_store.h"
#include "common/eventstore/rocksdb_event_store.h"
#include "grpcpp/support/client_interceptor.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/collectable.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace bdtx::server {

// The process's registry: every bdtx metric is registered here. Thread-safe.
prometheus::Registry& MetricsRegistry();
std::shared_ptr<prometheus::Registry> SharedMetricsRegistry();

// grpc_server_started_total, grpc_server_handled_total and grpc_server_handling_seconds
// (labels grpc_type, grpc_service, grpc_method, and grpc_code when handled), the
// conventions of go-grpc-prometheus, for every call the server takes.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewServerMetricsInterceptorFactory(prometheus::Registry& registry);

// The same for calls this process makes (grpc_client_*).
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
NewClientMetricsInterceptorFactory(prometheus::Registry& registry);

// bdtx_eventstore_* metrics: append latency, group size and write+sync time (as an
// observer the store calls), and, read from RocksDB at each scrape, stall time, pending
// compaction bytes, live SST bytes and block cache hits and misses.
class EventStoreMetrics : public eventstore::EventStoreObserver {
 public:
  explicit EventStoreMetrics(prometheus::Registry& registry);
  ~EventStoreMetrics() override;
  // Starts reading RocksDB's figures from `store` at each scrape. `store` must outlive
  // this object or be detached (nullptr) first. Thread-safe.
  void Attach(const eventstore::RocksDbEventStore* store);
  // RocksDB's figures, for MetricsServer::Start.
  std::shared_ptr<prometheus::Collectable> collectable() const;

  void OnGroupWritten(size_t appends, absl::Duration write_and_sync) override;
  void OnAppendAnswered(absl::Duration latency, bool ok) override;

 private:
  class Collector;
  prometheus::Family<prometheus::Histogram>& append_family_;
  prometheus::Histogram& append_ok_;
  prometheus::Histogram& append_failed_;
  prometheus::Histogram& group_size_;
  prometheus::Histogram& write_sync_;
  std::shared_ptr<Collector> collector_;
};

// A source of metrics read at each scrape (e.g. counts a service keeps in its store), for
// ServiceRunner::AddMetricsSource. `collect` runs on the metrics server's threads.
std::shared_ptr<prometheus::Collectable> CollectAtScrape(
    std::function<std::vector<prometheus::MetricFamily>()> collect);
// Like CollectAtScrape, but runs `collect` at most once per `period` and answers scrapes
// in between with its last result: for sources that walk a whole model.
std::shared_ptr<prometheus::Collectable> CollectAtMostEvery(
    absl::Duration period, std::function<std::vector<prometheus::MetricFamily>()> collect);
// One gauge family with a value per label set.
prometheus::MetricFamily GaugeFamily(
    const std::string& name, const std::string& help,
    const std::vector<std::pair<prometheus::Labels, double>>& values);

// Serves `sources` (the registry, collectors) as /metrics over HTTP. UNAVAILABLE when
// `listen` (host:port; port 0 picks one) cannot be bound.
class MetricsServer {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> sources);
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  int port_ = 0;
};

}  // namespace bdtx::server

#endif  // BDTX_COMMON_SERVER_METRICS_H_
