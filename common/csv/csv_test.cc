#include "common/csv/csv.h"

#include "gtest/gtest.h"

namespace bdtx::csv {
namespace {

TEST(CsvTest, ParsesQuotesNewlinesCrlfBomAndVietnamese) {
  const std::string content =
      "\xEF\xBB\xBFid,name\r\n"
      "1,\"Trường THCS Tân Phú, Đồng Xoài\"\r\n"
      "\r\n"
      "2,\"Nguyễn Văn \"\"Ba\"\"\"\n"
      "3,\"two\nlines\"\n"
      "4,last";
  auto table = ParseCsv("units.csv", content);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->header, (std::vector<std::string>{"id", "name"}));
  ASSERT_EQ(table->rows.size(), 4u);
  EXPECT_EQ(table->rows[0].fields[1], "Trường THCS Tân Phú, Đồng Xoài");
  EXPECT_EQ(table->rows[0].line, 2);
  EXPECT_EQ(table->rows[1].fields[1], "Nguyễn Văn \"Ba\"");
  EXPECT_EQ(table->rows[1].line, 4);
  EXPECT_EQ(table->rows[2].fields[1], "two\nlines");
  EXPECT_EQ(table->rows[3].line, 7);
  EXPECT_EQ(table->rows[3].fields[1], "last");
}

TEST(CsvTest, BadEncodingNamesLineAndColumn) {
  // "Phú" in Windows-1258/Latin-1 style bytes, not UTF-8.
  auto table = ParseCsv("people.csv", "id,name\np1,ok\np2,Ph\xFA\n");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(table.status().message().find("people.csv:3:2: invalid UTF-8"), std::string::npos)
      << table.status();
}

TEST(CsvTest, UnterminatedQuoteAndStrayQuoteAreErrors) {
  EXPECT_NE(ParseCsv("f.csv", "a,b\n1,\"open\n").status().message().find("f.csv:2:2: unterminated"),
            std::string::npos);
  EXPECT_NE(ParseCsv("f.csv", "a,b\n1,x\"y\n").status().message().find("f.csv:2:2: quote inside"),
            std::string::npos);
  EXPECT_NE(ParseCsv("f.csv", "").status().message().find("empty file"), std::string::npos);
}

TEST(CsvTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("Chưa đạt — Đạt"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("abc\xE1\xBA"));   // truncated
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("plain"), "plain");
}

}  // namespace
}  // namespace bdtx::csv
