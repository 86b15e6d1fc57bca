// Findings grouped by root cause (check/finding_families.h): the family keeps
// the operation, the deciding rule and both result classes; the known list
// is strict about its form; groups keep their smallest scenario.
#include "check/finding_families.h"

#include <gtest/gtest.h>

namespace sockspec {
namespace {

TEST(FindingFamily, KeepsTheOperationTheDecidingRuleAndBothResults) {
  EXPECT_EQ(finding_family("listen | listen.backlog.clamped_to_somaxconn,listen.port.unbound_gets_ephemeral,"
                           "bind.ephemeral.canonical | EADDRINUSE | ok"),
            "listen | bind.ephemeral.canonical | EADDRINUSE | ok");
  EXPECT_EQ(finding_family("bind | bind.address.local | EINVAL | ok"), "bind | bind.address.local | EINVAL | ok");
  // poll events keep their own bars: only " | " separates fields
  EXPECT_EQ(finding_family("poll | data.poll.a,data.poll.b | in|out | out"), "poll | data.poll.b | in|out | out");
  EXPECT_EQ(finding_family("not a signature"), "not a signature");
  // an ss line's rules are its rows': the family is the rows that differ
  EXPECT_EQ(finding_family("ss | socket.ss.table,unix.ss.sendq_memory | table(tcp UNCONN) | table()"),
            "ss | * | table(tcp UNCONN) | table()");
}

TEST(KnownFamilies, ReadsFamiliesWithTheirReasons) {
  const KnownFamilies k = parse_known_families(
      "# comment\n\n"
      "family: bind | bind.address.local,bind.conflict.same_address | ok | EADDRINUSE\n"
      "reason: the reuseport bucket keeps its fastreuseport state (inet_csk_update_fastreuse)\n",
      "families.txt");
  ASSERT_EQ(k.size(), 1u);
  // a full signature written as the family is reduced to its family
  EXPECT_EQ(k.begin()->first, "bind | bind.conflict.same_address | ok | EADDRINUSE");
  EXPECT_NE(k.begin()->second.find("inet_csk_update_fastreuse"), std::string::npos);
}

TEST(KnownFamilies, BadListsNameTheFileAndLine) {
  auto message = [](std::string_view text) {
    try {
      parse_known_families(text, "f.txt");
    } catch (const FamiliesError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("family: a | b | c | d\n"), "f.txt:1: this family has no `reason:` line");
  EXPECT_EQ(message("reason: why\n"), "f.txt:1: `reason:` without a `family:` line before it");
  EXPECT_EQ(message("family: a | b\nreason: x\n"), "f.txt:1: a family is `OPERATION | RULE | KERNEL | MODEL`");
  EXPECT_EQ(message("family: a | b | c | d\nreason:\n"),
            "f.txt:2: an empty reason: say why the model does not explain this yet");
  EXPECT_EQ(message("family: a | b | c | d\nreason: x\nfamily: a | b | c | d\nreason: y\n"),
            "f.txt:3: `a | b | c | d` is listed twice");
  EXPECT_NE(message("something else\n").find("f.txt:1: expected `family: ...`"), std::string::npos);
}

TEST(GroupFindings, OneFamilyPerRootCauseWithItsSmallestScenario) {
  const std::vector<FindingRecord> findings = {
      {"a.scn", "bind | x.one,bind.conflict.same_address | ok | EADDRINUSE", 12},
      {"b.scn", "bind | x.two,bind.conflict.same_address | ok | EADDRINUSE", 5},
      {"c.scn", "listen | listen.ok | EINVAL | ok", 3},
      {"d.scn", "bind | x.two,bind.conflict.same_address | ok | EADDRINUSE", 9},  // same signature as b
  };
  const KnownFamilies known = {{"listen | listen.ok | EINVAL | ok", "the role lock"}};
  const auto families = group_findings(findings, known);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].family, "bind | bind.conflict.same_address | ok | EADDRINUSE");
  EXPECT_EQ(families[0].signatures.size(), 2u);  // b and d share one
  EXPECT_EQ(families[0].smallest, "b.scn");
  EXPECT_EQ(families[0].smallest_lines, 5u);
  EXPECT_FALSE(families[0].known());
  EXPECT_TRUE(families[1].known());
  const FamilyCounts n = count_families(families);
  EXPECT_EQ(n.signatures, 3u);
  EXPECT_EQ(n.families, 2u);
  EXPECT_EQ(n.fresh, 1u);
}

}  // namespace
}  // namespace sockspec
