#include "store/blob/local_blob_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/status_mapping.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "mediagw-blob-XXXXXX")
            .string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = LocalBlobStore::Open(dir_ + "/uploads/nested");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Files in the root other than the blobs themselves (e.g. temporaries).
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(store_->root())) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
  std::unique_ptr<LocalBlobStore> store_;
};

// mediagw_blob_written_bytes_total counts the bytes of every blob stored,
// and nothing for a write that was refused.
TEST_F(LocalBlobStoreTest, StoredBytesAreCounted) {
  // Opening the store registered the family with its help.
  EXPECT_NE(GlobalMetrics().RenderPrometheus().find(
                "# HELP mediagw_blob_written_bytes_total Bytes"),
            std::string::npos);
  std::atomic<int64_t>* written = GlobalMetrics().Counter(
      "mediagw_blob_written_bytes_total", "");
  const int64_t before = written->load();
  ASSERT_TRUE(store_->Put("a.png", std::string(1000, 'x')).ok());
  ASSERT_TRUE(store_->Put("b.png", "12345").ok());
  EXPECT_FALSE(store_->Put("../escape.png", "zz").ok());
  EXPECT_EQ(written->load() - before, 1005);
  EXPECT_NE(GlobalMetrics().RenderPrometheus().find(
                "# TYPE mediagw_blob_written_bytes_total counter\n"),
            std::string::npos);
}

TEST(BlobErrnoStatusTest, AFullDiskIsUnavailableWithReasonDiskFull) {
  for (int err : {ENOSPC, EDQUOT}) {
    absl::Status st = BlobErrnoStatus(err, "write", "/b/x.png");
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << err;
    EXPECT_EQ(ReasonOf(st), Reason::kDiskFull) << err;
    EXPECT_EQ(ToHttpStatus(st), 503);
    EXPECT_NE(st.message().find("write /b/x.png: "), absl::string_view::npos);
  }
  EXPECT_EQ(BlobErrnoStatus(ENOENT, "open", "x").code(),
            absl::StatusCode::kNotFound);
  absl::Status io = BlobErrnoStatus(EIO, "fsync", "x");
  EXPECT_EQ(io.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(io), std::nullopt);
}

TEST_F(LocalBlobStoreTest, PutThenGetBinaryData) {
  std::string data("\x89PNG\r\n\x1a\n\0\0\xff", 11);
  ASSERT_TRUE(store_->Put("task-1.png", data).ok());
  absl::StatusOr<std::string> got = store_->Get("task-1.png");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, data);
  // No temporary left behind, and the file is readable by others.
  EXPECT_EQ(Listing(), std::vector<std::string>{"task-1.png"});
  struct stat st;
  ASSERT_EQ(::stat((store_->root() + "/task-1.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(LocalBlobStoreTest, EmptyAndLargeBlobs) {
  ASSERT_TRUE(store_->Put("empty.bin", "").ok());
  EXPECT_EQ(store_->Get("empty.bin").value(), "");
  std::string big(5 * 1024 * 1024 + 7, 'v');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i);
  ASSERT_TRUE(store_->Put("video_1.mp4", big).ok());
  EXPECT_EQ(store_->Get("video_1.mp4").value(), big);
}

TEST_F(LocalBlobStoreTest, OverwriteReplacesContent) {
  ASSERT_TRUE(store_->Put("a.png", "first version, longer").ok());
  ASSERT_TRUE(store_->Put("a.png", "second").ok());
  EXPECT_EQ(store_->Get("a.png").value(), "second");
  EXPECT_EQ(Listing(), std::vector<std::string>{"a.png"});
}

TEST_F(LocalBlobStoreTest, DeleteRemovesAndIgnoresAbsentBlobs) {
  ASSERT_TRUE(store_->Put("t1_2.png", "bytes").ok());
  EXPECT_TRUE(store_->Delete("t1_2.png").ok());
  EXPECT_EQ(store_->Get("t1_2.png").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("t1_2.png").ok());  // already gone: fine
  EXPECT_EQ(store_->Delete("../etc").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalBlobStoreTest, MissingBlobIsNotFound) {
  EXPECT_EQ(store_->Get("nope.png").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->PathFor("nope.png").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LocalBlobStoreTest, BadNamesAreInvalidArgument) {
  const std::string bad_names[] = {"",
                                   "/etc/passwd",
                                   "a/b.png",
                                   "..",
                                   "../x.png",
                                   "x..png",
                                   ".hidden",
                                   ".",
                                   "sp ace",
                                   "tab\t",
                                   std::string("nul\0x", 5),
                                   "ümlaut.png",
                                   "a\\b",
                                   std::string(201, 'a')};
  for (const std::string& name : bad_names) {
    EXPECT_EQ(store_->Put(name, "x").code(), absl::StatusCode::kInvalidArgument)
        << name;
    EXPECT_EQ(store_->Get(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
    EXPECT_EQ(store_->PathFor(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_TRUE(Listing().empty());
  // The longest allowed name and every allowed character class.
  EXPECT_TRUE(store_->Put(std::string(200, 'a'), "x").ok());
  EXPECT_TRUE(store_->Put("Task_0-9.v2.png", "x").ok());
}

TEST_F(LocalBlobStoreTest, PathForPointsAtTheBlob) {
  ASSERT_TRUE(store_->Put("t_1.mp4", "movie").ok());
  absl::StatusOr<std::string> path = store_->PathFor("t_1.mp4");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(std::filesystem::path(*path).is_absolute());
  std::ifstream in(*path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "movie");
}

TEST_F(LocalBlobStoreTest, ConcurrentPutsOfOneNameNeverTear) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      std::string data(64 * 1024, static_cast<char>('a' + t));
      for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(store_->Put("same.bin", data).ok());
        absl::StatusOr<std::string> got = store_->Get("same.bin");
        ASSERT_TRUE(got.ok());
        ASSERT_EQ(got->size(), data.size());
        EXPECT_EQ(got->find_first_not_of((*got)[0]), std::string::npos);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(Listing(), std::vector<std::string>{"same.bin"});
}

TEST(LocalBlobStoreOpenTest, RootThatIsAFileIsUnavailable) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "mediagw-blobf-XXXXXX")
          .string();
  int fd = ::mkstemp(tmpl.data());
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(LocalBlobStore::Open(tmpl).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(LocalBlobStore::Open(tmpl + "/sub").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(LocalBlobStore::Open("").status().code(),
            absl::StatusCode::kInvalidArgument);
  ::unlink(tmpl.c_str());
}

TEST_F(LocalBlobStoreTest, OpenReadGivesSizeTimeAndPositionalReads) {
  std::string data;
  for (int i = 0; i < 300000; ++i) data.push_back(static_cast<char>(i * 7));
  ASSERT_TRUE(store_->Put("clip.mp4", data).ok());
  const absl::Time before = absl::Now() - absl::Seconds(5);
  auto reader = store_->OpenRead("clip.mp4");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->size(), data.size());
  EXPECT_GT((*reader)->modified(), before);
  EXPECT_LT((*reader)->modified(), absl::Now() + absl::Seconds(5));

  auto head = (*reader)->Read(0, 1000);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, data.substr(0, 1000));
  auto middle = (*reader)->Read(123457, 65536);
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(*middle, data.substr(123457, 65536));
  auto tail = (*reader)->Read(data.size() - 10, 65536);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, data.substr(data.size() - 10));
  auto past = (*reader)->Read(data.size() + 1, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
}

TEST_F(LocalBlobStoreTest, OpenReadKeepsTheVersionItOpened) {
  ASSERT_TRUE(store_->Put("a.png", "first version").ok());
  auto reader = store_->OpenRead("a.png");
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(store_->Put("a.png", "second, longer version").ok());
  EXPECT_EQ((*reader)->size(), 13u);
  auto got = (*reader)->Read(0, 100);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "first version");
}

TEST_F(LocalBlobStoreTest, OpenReadRefusesBadNamesAndMissingBlobs) {
  EXPECT_EQ(store_->OpenRead("../etc/passwd").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenRead("missing.png").status().code(),
            absl::StatusCode::kNotFound);
  std::filesystem::create_directory(store_->root() + "/dir.png");
  EXPECT_EQ(store_->OpenRead("dir.png").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LocalBlobStoreTest, RemoveTemporariesLeavesBlobsAlone) {
  ASSERT_TRUE(store_->Put("a.png", "blob").ok());
  // What a crash mid-Put leaves: mkostemp's ".tmp-XXXXXX" files.
  for (const char* tmp : {".tmp-AbC123", ".tmp-zzzzzz"}) {
    std::ofstream(store_->root() + "/" + tmp) << "partial";
  }
  std::ofstream(store_->root() + "/.other") << "not ours";
  absl::StatusOr<int> removed = store_->RemoveTemporaries();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  std::vector<std::string> names = Listing();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".other", "a.png"}));
  EXPECT_EQ(*store_->RemoveTemporaries(), 0);
}

}  // namespace
}  // namespace mediagw
