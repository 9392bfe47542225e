// The CSV writer's guard against spreadsheet formula injection and the reader taking it off:
// what is written as a formula-looking cell reads back unchanged.
#include "capf/service/csv.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(CsvFormulaGuard, WriterNeutralisesAndReaderRestores) {
  const struct {
    std::string cell;
    std::string written;  // csv_field's output
  } kCases[] = {
      {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
      {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
      {"-2+3+cmd", "'-2+3+cmd"},
      {"@SUM(A1)", "'@SUM(A1)"},
      {"\tindented", "'\tindented"},
      {"\rreturn", "\"'\rreturn\""},
      {"=a,b", "\"'=a,b\""},
      // A ' of its own before a formula gets one more, so reading takes off only the guard.
      {"'=already", "''=already"},
      {"''@x", "'''@x"},
      // Left alone: plain numbers, a ' before text, formula characters further in.
      {"-3", "-3"},
      {"+1.5", "+1.5"},
      {"-", "'-"},
      {"'quoted", "'quoted"},
      {"'", "'"},
      {"a=b", "a=b"},
      {"SEP001122334455", "SEP001122334455"},
      {"", ""},
  };
  std::vector<std::string> cells;
  for (const auto& c : kCases) {
    EXPECT_EQ(csv_field(c.cell), c.written) << c.cell;
    cells.push_back(c.cell);
  }
  auto records = parse_csv(csv_line(cells));
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].fields, cells);
}

// Hand-written files: a ' before a formula character is the spreadsheet's own text marker and is
// taken off; any other ' is data.
TEST(CsvFormulaGuard, ReaderTakesOffOnlyAGuard) {
  auto records = parse_csv("'=1+1,'-x,'hello,\"'@y\",it's,'-3\n");
  ASSERT_TRUE(records) << records.error().message;
  EXPECT_EQ((*records)[0].fields,
            (std::vector<std::string>{"=1+1", "-x", "'hello", "@y", "it's", "-3"}));
}

}  // namespace
}  // namespace capf
