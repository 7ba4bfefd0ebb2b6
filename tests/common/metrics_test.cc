#include "common/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "common/request_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CountersRenderHelpAndTypeOncePerFamily) {
  MetricsRegistry r;
  auto tasks = r.Counters("t_finished_total", "Tasks\\by\nstate",
                          {"workflow", "state"});
  tasks.With({"default", "SUCCEEDED"})->fetch_add(2);
  tasks.With({"default", "FAILED"})->fetch_add(1);
  tasks.With({"default", "SUCCEEDED"})->fetch_add(1);
  r.Counter("plain_total", "Plain")->fetch_add(5);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP plain_total Plain\n"
            "# TYPE plain_total counter\n"
            "plain_total 5\n"
            "# HELP t_finished_total Tasks\\\\by\\nstate\n"
            "# TYPE t_finished_total counter\n"
            "t_finished_total{workflow=\"default\",state=\"FAILED\"} 1\n"
            "t_finished_total{workflow=\"default\",state=\"SUCCEEDED\"} 3\n");
}

TEST(MetricsTest, SameLabelsGiveTheSameSeries) {
  MetricsRegistry r;
  auto a = r.Counters("x_total", "X", {"k"});
  auto b = r.Counters("x_total", "other help", {"k"});
  EXPECT_EQ(a.With({"v"}), b.With({"v"}));
  EXPECT_NE(a.With({"v"}), a.With({"w"}));
  // The pre-labelled form reaches the same series.
  EXPECT_EQ(r.Counter("x_total", "X", "k=\"v\""), a.With({"v"}));
}

TEST(MetricsTest, LabelValuesAreEscapedAndRepaired) {
  MetricsRegistry r;
  r.Counters("e_total", "E", {"route"})
      .With({"a\"b\\c\nd\xff"})
      ->fetch_add(1);
  EXPECT_THAT(r.RenderPrometheus(),
              HasSubstr("e_total{route=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 1\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry r;
  auto h = r.Histograms("lat_seconds", "Latency", {"channel"}, {0.1, 1, 0.5});
  Histogram* c = h.With({"comfy"});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0, 100.0}) c->Observe(v);
  c->Observe(std::nan(""));
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP lat_seconds Latency\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{channel=\"comfy\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{channel=\"comfy\",le=\"0.5\"} 3\n"
            "lat_seconds_bucket{channel=\"comfy\",le=\"1\"} 4\n"
            "lat_seconds_bucket{channel=\"comfy\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{channel=\"comfy\"} 103.15\n"
            "lat_seconds_count{channel=\"comfy\"} 6\n");
}

TEST(MetricsTest, UnlabelledHistogramUsesDefaultBuckets) {
  MetricsRegistry r;
  r.Histograms("d_seconds", "D", {}).With({})->Observe(0.2);
  std::string out = r.RenderPrometheus();
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{le=\"0.005\"} 0\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{le=\"0.25\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_bucket{le=\"120\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("d_seconds_sum 0.2\nd_seconds_count 1\n"));
}

TEST(MetricsTest, GaugesSetAndRead) {
  MetricsRegistry r;
  auto* streams = r.Gauges("open_streams", "Streams", {}).With({});
  streams->fetch_add(3);
  streams->fetch_sub(1);
  r.Gauge("active", "Active", [] { return 4.0; });
  r.GaugeFunc("per_channel", "Per channel", {"channel"}, [] {
    return MetricsRegistry::LabelledValues{{{"b"}, 2}, {{"a"}, 0.5}};
  });
  std::string out = r.RenderPrometheus();
  EXPECT_THAT(out, HasSubstr("# TYPE active gauge\nactive 4\n"));
  EXPECT_THAT(out, HasSubstr("# TYPE open_streams gauge\nopen_streams 2\n"));
  EXPECT_THAT(out, HasSubstr("# TYPE per_channel gauge\n"
                             "per_channel{channel=\"a\"} 0.5\n"
                             "per_channel{channel=\"b\"} 2\n"));
}

TEST(MetricsTest, ANameTakenByAnotherTypeIsNotRenderedTwice) {
  MetricsRegistry r;
  r.Counter("dup", "Dup")->fetch_add(1);
  auto* g = r.Gauges("dup", "Dup", {}).With({});
  g->fetch_add(7);  // still a valid series
  std::string out = r.RenderPrometheus();
  EXPECT_EQ(out, "# HELP dup Dup\n# TYPE dup counter\ndup 1\n");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry r;
  auto fam = r.Counters("c_total", "C", {"k"});
  auto hist = r.Histograms("h_seconds", "H", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        fam.With({t % 2 ? "odd" : "even"})->fetch_add(1);
        hist.With({"x"})->Observe(0.5);  // exact in binary
      }
    });
  }
  r.RenderPrometheus();  // rendering while counting
  for (auto& th : threads) th.join();
  std::string out = r.RenderPrometheus();
  EXPECT_THAT(out, HasSubstr("c_total{k=\"even\"} 20000\n"));
  EXPECT_THAT(out, HasSubstr("c_total{k=\"odd\"} 20000\n"));
  EXPECT_THAT(out, HasSubstr("h_seconds_count{k=\"x\"} 40000\n"));
  EXPECT_THAT(out, HasSubstr("h_seconds_sum{k=\"x\"} 20000\n"));
}

TEST(MetricsTest, FormatMetricValue) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(-2), "-2");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatMetricValue(HUGE_VAL), "+Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

TEST(RequestMetricsTest, AdaptersRecordIntoTheGlobalRegistry) {
  RegisterRequestMetrics();
  std::string before = GlobalMetrics().RenderPrometheus();
  EXPECT_THAT(before, HasSubstr("# TYPE mediagw_http_requests_total counter"));
  EXPECT_THAT(before,
              HasSubstr("# TYPE mediagw_grpc_request_duration_seconds "
                        "histogram"));
  EXPECT_THAT(before, HasSubstr("mediagw_grpc_open_streams 0\n"));
  RecordHttpRequest("/v1/index.php?endpoint=task_status", 404,
                    absl::Milliseconds(3));
  RecordGrpcRequest("/mediagw.v1.MediaService/GetTask",
                    absl::StatusCode::kNotFound, absl::Milliseconds(30));
  GrpcStreamOpened();
  GrpcStreamOpened();
  GrpcStreamClosed();
  std::string out = GlobalMetrics().RenderPrometheus();
  EXPECT_THAT(out,
              HasSubstr("mediagw_http_requests_total{route=\"/v1/index.php?"
                        "endpoint=task_status\",code=\"404\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("mediagw_http_request_duration_seconds_bucket{"
                             "route=\"/v1/index.php?endpoint=task_status\","
                             "le=\"0.005\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("mediagw_grpc_requests_total{method=\"/mediagw."
                             "v1.MediaService/GetTask\",code=\"NOT_FOUND\"} "
                             "1\n"));
  EXPECT_THAT(out, HasSubstr("mediagw_grpc_request_duration_seconds_bucket{"
                             "method=\"/mediagw.v1.MediaService/GetTask\","
                             "le=\"0.025\"} 0\n"));
  EXPECT_THAT(out, HasSubstr("mediagw_grpc_open_streams 1\n"));
  EXPECT_THAT(out, Not(HasSubstr("le=\"+Inf\"} 0")));
}

}  // namespace
}  // namespace mediagw
