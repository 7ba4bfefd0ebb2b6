// gMock of the core's TaskService, for the adapters' unit tests (gateway/,
// server/): they check what an adapter makes of a request and of each
// answer the core can give, without a store or a provider.
#ifndef MEDIAGW_TESTS_FAKES_MOCK_TASK_SERVICE_H_
#define MEDIAGW_TESTS_FAKES_MOCK_TASK_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "core/task_service.h"
#include "gmock/gmock.h"

namespace mediagw::testing_util {

class MockTaskService : public TaskService {
 public:
  MOCK_METHOD(void, SubmitImage,
              (const Caller&, v1::SubmitImageRequest, Callback<v1::Task>),
              (override));
  MOCK_METHOD(void, SubmitVideo,
              (const Caller&, v1::SubmitVideoRequest, Callback<v1::Task>),
              (override));
  MOCK_METHOD(void, GetTask,
              (const Caller&, const std::string&, Callback<v1::Task>),
              (override));
  MOCK_METHOD(void, CancelTask,
              (const Caller&, const std::string&, Callback<v1::Task>),
              (override));
  MOCK_METHOD(void, ListTasks,
              (const Caller&, v1::ListTasksRequest,
               Callback<v1::ListTasksResponse>),
              (override));
  MOCK_METHOD(void, HandleCallback,
              (const std::string&, CallbackRequest,
               std::function<void(absl::Status)>),
              (override));
  MOCK_METHOD(std::shared_ptr<TaskWatch>, Watch,
              (const Caller&, const std::string&,
               std::function<void(const v1::Task&)>,
               std::function<void(absl::Status)>),
              (override));
};

}  // namespace mediagw::testing_util

#endif  // MEDIAGW_TESTS_FAKES_MOCK_TASK_SERVICE_H_
