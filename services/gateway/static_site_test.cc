#include "services/gateway/static_site.h"

#include <filesystem>
#include <fstream>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace bdtx::gateway {
namespace {

namespace fs = std::filesystem;

void Write(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write(site_.Sub("dist/index.html"), "<!doctype html>app");
    Write(site_.Sub("dist/assets/index-abc123.js"), "console.log(1)");
    Write(site_.Sub("dist/assets/index-abc123.js.gz"), "GZIPPED");
    Write(site_.Sub("dist/assets/index-abc123.css"), "body{}");
    Write(site_.Sub("dist/favicon.svg"), "<svg/>");
    Write(site_.Sub("secret.txt"), "outside the console");
    fs::create_symlink(site_.Sub("secret.txt"), site_.Sub("dist/linked.txt"));
    fs::create_directory_symlink(site_.path(), site_.Sub("dist/up"));
  }
  testing::TempDir site_;
};

TEST_F(StaticSiteTest, ServesBuiltFilesWithTheirTypesAndCachePolicy) {
  auto site = StaticSite::Load(site_.Sub("dist"));
  ASSERT_TRUE(site.ok()) << site.status();
  const auto* js = (*site)->Find("/assets/index-abc123.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content, "console.log(1)");
  EXPECT_EQ(js->gzip, "GZIPPED");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ((*site)->Find("/assets/index-abc123.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ((*site)->Find("/favicon.svg")->content_type, "image/svg+xml");
  const auto* index = (*site)->Find("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->cache_control, "no-cache");
  // The .gz copy is an encoding, never a file of its own.
  EXPECT_EQ((*site)->Find("/assets/index-abc123.js.gz"), nullptr);
}

TEST_F(StaticSiteTest, ClientRoutesGetTheAppMissingFilesAre404) {
  auto site = StaticSite::Load(site_.Sub("dist"));
  ASSERT_TRUE(site.ok()) << site.status();
  for (const char* route : {"/inbox", "/documents/gvcc-001-2023-m4-plan", "/dashboard/"}) {
    const auto* f = (*site)->Find(route);
    ASSERT_NE(f, nullptr) << route;
    EXPECT_EQ(f->content, "<!doctype html>app") << route;
  }
  for (const char* missing : {"/favicon.ico", "/assets/old-build.js", "/assets/chunk"}) {
    EXPECT_EQ((*site)->Find(missing), nullptr) << missing;
  }
}

TEST_F(StaticSiteTest, NothingOutsideTheFolderIsReachable) {
  auto site = StaticSite::Load(site_.Sub("dist"));
  ASSERT_TRUE(site.ok()) << site.status();
  // Symlinks are not followed or served, and no request path is a file-system path.
  for (const char* path : {"/linked.txt", "/up/secret.txt", "/../secret.txt",
                           "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                           "//secret.txt", "/assets/..\\..\\secret.txt", "/secret.txt"}) {
    const auto* f = (*site)->Find(path);
    // nullptr (404) or the app itself for a client route, never the file outside.
    EXPECT_TRUE(f == nullptr || f->content == "<!doctype html>app") << path;
  }
  EXPECT_EQ((*site)->Find("/up/secret.txt"), nullptr);
  EXPECT_EQ((*site)->size(), 4u);  // index.html, 2 assets, favicon.svg
}

TEST_F(StaticSiteTest, RefusesAFolderWithoutIndexOrTooLarge) {
  EXPECT_EQ(StaticSite::Load(site_.Sub("nope")).status().code(), absl::StatusCode::kNotFound);
  Write(site_.Sub("empty/x.js"), "1");
  EXPECT_EQ(StaticSite::Load(site_.Sub("empty")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StaticSite::Load(site_.Sub("dist"), 10).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ContentTypeTest, ByExtensionCaseInsensitive) {
  EXPECT_EQ(ContentTypeFor("a.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("a.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("a.exe"), "application/octet-stream");
}

}  // namespace
}  // namespace bdtx::gateway
