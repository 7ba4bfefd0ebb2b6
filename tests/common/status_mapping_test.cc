#include "common/status_mapping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

using ::testing::HasSubstr;

TEST(ReasonTest, RoundTripsAndSurvivesAnnotate) {
  for (Reason r : {Reason::kUpstreamKeyMissing,
                   Reason::kUpstreamCredentialsRefused,
                   Reason::kInsufficientBalance, Reason::kRateLimited,
                   Reason::kDiskFull, Reason::kUpstreamRefusedFinal}) {
    absl::Status st = WithReason(absl::UnavailableError("x"), r);
    EXPECT_EQ(ReasonOf(st), r) << ReasonName(r);
    EXPECT_EQ(ReasonOf(Annotate(st, "p: ")), r);
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(st.message(), "x");
  }
  EXPECT_EQ(ReasonOf(absl::UnavailableError("x")), std::nullopt);
  EXPECT_TRUE(WithReason(absl::OkStatus(), Reason::kDiskFull).ok());
  EXPECT_EQ(ReasonOf(WithReason(absl::OkStatus(), Reason::kDiskFull)),
            std::nullopt);
  // A later reason replaces the earlier one; the outcome mark is separate.
  absl::Status both = MarkOutcomeUnknown(
      WithReason(WithReason(absl::UnavailableError("x"), Reason::kRateLimited),
                 Reason::kDiskFull));
  EXPECT_EQ(ReasonOf(both), Reason::kDiskFull);
  EXPECT_TRUE(IsOutcomeUnknown(both));
  EXPECT_EQ(ReasonName(Reason::kDiskFull), "DISK_FULL");
  // A name this build does not know is no reason.
  absl::Status foreign = absl::UnavailableError("x");
  foreign.SetPayload("type.mediagw.dev/reason", absl::Cord("FUTURE_REASON"));
  EXPECT_EQ(ReasonOf(foreign), std::nullopt);
}

TEST(ReasonTest, ToHttpStatusLooksAtTheReasonFirst) {
  const absl::Status unavailable = absl::UnavailableError("x");
  EXPECT_EQ(ToHttpStatus(unavailable), 503);
  EXPECT_EQ(ToHttpStatus(WithReason(unavailable, Reason::kDiskFull)), 503);
  EXPECT_EQ(ToHttpStatus(WithReason(unavailable, Reason::kRateLimited)), 429);
  const absl::Status precondition = absl::FailedPreconditionError("x");
  EXPECT_EQ(ToHttpStatus(precondition), 412);
  EXPECT_EQ(
      ToHttpStatus(WithReason(precondition, Reason::kUpstreamKeyMissing)),
      500);
  EXPECT_EQ(ToHttpStatus(
                WithReason(precondition, Reason::kUpstreamCredentialsRefused)),
            503);
  EXPECT_EQ(
      ToHttpStatus(WithReason(precondition, Reason::kInsufficientBalance)),
      503);
  EXPECT_EQ(
      ToHttpStatus(WithReason(precondition, Reason::kUpstreamRefusedFinal)),
      412);
  EXPECT_EQ(ToHttpStatus(absl::OkStatus()), 200);
  EXPECT_EQ(ToHttpStatus(absl::InvalidArgumentError("x")), 400);
}

TEST(ReasonTest, FinalRefusalIsNeverRetryable) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("x")));
  EXPECT_FALSE(IsRetryable(WithReason(absl::UnavailableError("x"),
                                      Reason::kUpstreamRefusedFinal)));
  EXPECT_TRUE(IsRetryable(
      WithReason(absl::UnavailableError("x"), Reason::kRateLimited)));
}

TEST(UpstreamHttpToStatusTest, TagsTheReasonsOneCodeCannotTell) {
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(401, "p", "")),
            Reason::kUpstreamCredentialsRefused);
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(403, "p", "")),
            Reason::kUpstreamCredentialsRefused);
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(402, "p", "")),
            Reason::kInsufficientBalance);
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(429, "p", "")),
            Reason::kRateLimited);
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(503, "p", "")), std::nullopt);
  EXPECT_EQ(ReasonOf(UpstreamHttpToStatus(400, "p", "")), std::nullopt);
}

TEST(UpstreamHttpToStatusTest, SuccessIsOk) {
  EXPECT_TRUE(UpstreamHttpToStatus(200, "p", "").ok());
  EXPECT_TRUE(UpstreamHttpToStatus(204, "p", "body").ok());
}

TEST(UpstreamHttpToStatusTest, UpstreamAuthFailureIsOurProblem) {
  for (int code : {401, 403}) {
    absl::Status st = UpstreamHttpToStatus(code, "xai", "bad key");
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << code;
    EXPECT_NE(st.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_NE(st.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_FALSE(IsRetryable(st));
  }
}

TEST(UpstreamHttpToStatusTest, GatewayTimeoutsMayHaveReachedTheOrigin) {
  for (int code : {504, 524}) {
    absl::Status st = UpstreamHttpToStatus(code, "p", "");
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << code;
    EXPECT_TRUE(IsOutcomeUnknown(st)) << code;
  }
  for (int code : {500, 502, 503, 429}) {
    EXPECT_FALSE(IsOutcomeUnknown(UpstreamHttpToStatus(code, "p", ""))) << code;
  }
  // The mark survives Annotate and is gone from fresh statuses.
  EXPECT_TRUE(IsOutcomeUnknown(
      Annotate(UpstreamHttpToStatus(504, "p", ""), "submit: ")));
  EXPECT_FALSE(IsOutcomeUnknown(absl::UnavailableError("x")));
  EXPECT_EQ(Annotate(absl::UnavailableError("x"), "p: ").message(), "p: x");
}

TEST(UpstreamHttpToStatusTest, MapsCodes) {
  EXPECT_EQ(UpstreamHttpToStatus(400, "p", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UpstreamHttpToStatus(422, "p", "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UpstreamHttpToStatus(402, "p", "").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(IsRetryable(UpstreamHttpToStatus(402, "p", "")));
  EXPECT_EQ(UpstreamHttpToStatus(404, "p", "").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(UpstreamHttpToStatus(418, "p", "").code(),
            absl::StatusCode::kUnknown);
}

TEST(UpstreamHttpToStatusTest, ThrottlingAndServerErrorsAreRetryable) {
  for (int code : {408, 429, 455, 500, 502, 503, 504, 599}) {
    absl::Status st = UpstreamHttpToStatus(code, "p", "");
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << code;
    EXPECT_TRUE(IsRetryable(st)) << code;
  }
  EXPECT_FALSE(IsRetryable(UpstreamHttpToStatus(400, "p", "")));
  EXPECT_FALSE(IsRetryable(UpstreamHttpToStatus(404, "p", "")));
}

TEST(UpstreamHttpToStatusTest, MessageNamesProviderStatusAndTruncatedHint) {
  std::string hint(1000, 'x');
  absl::Status st = UpstreamHttpToStatus(503, "comfyui", hint);
  EXPECT_THAT(st.message(), HasSubstr("comfyui upstream returned HTTP 503: "));
  EXPECT_LT(st.message().size(), 400u);
  EXPECT_EQ(std::string(UpstreamHttpToStatus(500, "p", "").message()),
            "p upstream returned HTTP 500");
}

TEST(IsRetryableTest, Codes) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("")));
  EXPECT_TRUE(IsRetryable(absl::AbortedError("")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryable(absl::InternalError("")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("")));
}

TEST(ToGrpcStatusTest, KeepsCodeAndMessage) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("task not found: x"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "task not found: x");
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(ToHttpStatusTest, Table) {
  using C = absl::StatusCode;
  EXPECT_EQ(ToHttpStatus(C::kOk), 200);
  EXPECT_EQ(ToHttpStatus(C::kInvalidArgument), 400);
  EXPECT_EQ(ToHttpStatus(C::kOutOfRange), 400);
  EXPECT_EQ(ToHttpStatus(C::kUnauthenticated), 401);
  EXPECT_EQ(ToHttpStatus(C::kPermissionDenied), 403);
  EXPECT_EQ(ToHttpStatus(C::kNotFound), 404);
  EXPECT_EQ(ToHttpStatus(C::kAlreadyExists), 409);
  EXPECT_EQ(ToHttpStatus(C::kAborted), 409);
  EXPECT_EQ(ToHttpStatus(C::kFailedPrecondition), 412);
  EXPECT_EQ(ToHttpStatus(C::kResourceExhausted), 429);
  EXPECT_EQ(ToHttpStatus(C::kCancelled), 499);
  EXPECT_EQ(ToHttpStatus(C::kUnimplemented), 501);
  EXPECT_EQ(ToHttpStatus(C::kUnavailable), 503);
  EXPECT_EQ(ToHttpStatus(C::kDeadlineExceeded), 504);
  EXPECT_EQ(ToHttpStatus(C::kInternal), 500);
  EXPECT_EQ(ToHttpStatus(C::kDataLoss), 500);
  EXPECT_EQ(ToHttpStatus(C::kUnknown), 500);
}

TEST(CodeNameTest, CanonicalNames) {
  EXPECT_EQ(CodeName(absl::StatusCode::kOk), "OK");
  EXPECT_EQ(CodeName(absl::StatusCode::kNotFound), "NOT_FOUND");
  EXPECT_EQ(CodeName(absl::StatusCode::kDeadlineExceeded), "DEADLINE_EXCEEDED");
  EXPECT_EQ(CodeName(absl::StatusCode::kFailedPrecondition),
            "FAILED_PRECONDITION");
  EXPECT_EQ(CodeName(absl::StatusCode::kUnauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(CodeName(static_cast<absl::StatusCode>(99)), "UNKNOWN");
}

TEST(RetryAfterTest, SecondsAndDatesOn429And503Only) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  const absl::Status busy = absl::UnavailableError("busy");
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(busy, 503, " 7 ", now)),
            absl::Seconds(7));
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(busy, 429, "0", now)),
            absl::ZeroDuration());
  // 2023-11-14T22:13:20Z is `now`; ten seconds later:
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(
                busy, 503, "Tue, 14 Nov 2023 22:13:30 GMT", now)),
            absl::Seconds(10));
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(
                busy, 503, "Tue, 14 Nov 2023 22:00:00 GMT", now)),
            absl::ZeroDuration());
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(busy, 503, "99999999", now)),
            absl::Hours(1));
  EXPECT_FALSE(RetryAfterOf(WithRetryAfter(busy, 500, "7", now)).has_value());
  EXPECT_FALSE(RetryAfterOf(WithRetryAfter(busy, 503, "", now)).has_value());
  EXPECT_FALSE(RetryAfterOf(WithRetryAfter(busy, 503, "-1", now)).has_value());
  EXPECT_FALSE(
      RetryAfterOf(WithRetryAfter(busy, 503, "soon", now)).has_value());
  EXPECT_FALSE(RetryAfterOf(WithRetryAfter(absl::OkStatus(), 503, "7", now))
                   .has_value());
  // From response headers (names lower-cased).
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(
                busy, 429, {{"content-type", "x"}, {"retry-after", "4"}}, now)),
            absl::Seconds(4));
  EXPECT_FALSE(RetryAfterOf(WithRetryAfter(busy, 429, {{"x", "4"}}, now))
                   .has_value());
  // Annotate keeps it, like the other payloads.
  EXPECT_EQ(RetryAfterOf(Annotate(WithRetryAfter(busy, 503, "7", now), "x: ")),
            absl::Seconds(7));
}

}  // namespace
}  // namespace mediagw
