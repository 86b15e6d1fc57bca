// fuzz/resource_sampler.h: what a process tree holds, read from /proc.
#include "fuzz/resource_sampler.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sockspec::fuzz {
namespace {

TEST(ResourceSampler, CountsTheTreesProcessesDescriptorsAndNamespaces) {
  const ResourceSample alone = sample_processes(getpid());
  EXPECT_EQ(alone.processes, 1);
  EXPECT_GT(alone.rss_kib, 0);
  EXPECT_GE(alone.fds, 3);
  EXPECT_EQ(alone.netns, 1);  // the thread's own namespace only

  // A child holding two more descriptors, one of them a namespace
  // descriptor of the namespace it is in: one more process, its inherited
  // descriptors and its two, no more namespaces.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int ns = open("/proc/self/ns/net", O_RDONLY);
    int null = open("/dev/null", O_RDONLY);
    char go = ns >= 0 && null >= 0 ? 'y' : 'n';
    (void)!write(ready[1], &go, 1);
    pause();
    _exit(0);
  }
  char go = 0;
  ASSERT_EQ(read(ready[0], &go, 1), 1);
  ASSERT_EQ(go, 'y');
  const ResourceSample with_child = sample_processes(getpid());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_EQ(with_child.processes, 2);
  EXPECT_GE(with_child.fds, 2 * alone.fds + 2);
  EXPECT_EQ(with_child.netns, 1);
  EXPECT_GT(with_child.rss_kib, alone.rss_kib);
}

TEST(ResourceSampler, SummaryGivesFirstLastAndEachFieldsMax) {
  EXPECT_TRUE(samples_summary({}, 30)["first"].is_null());
  EXPECT_EQ(samples_summary({}, 30)["samples"], 0);
  const std::vector<ResourceSample> samples = {{.seconds = 2, .processes = 3, .rss_kib = 900, .fds = 40, .netns = 7},
                                               {.seconds = 4, .processes = 5, .rss_kib = 700, .fds = 45, .netns = 6},
                                               {.seconds = 6, .processes = 4, .rss_kib = 800, .fds = 41, .netns = 9}};
  const nlohmann::json s = samples_summary(samples, 2);
  EXPECT_EQ(s["sample_seconds"], 2);
  EXPECT_EQ(s["samples"], 3);
  EXPECT_EQ(s["first"]["rss_kib"], 900);
  EXPECT_EQ(s["last"]["fds"], 41);
  EXPECT_EQ(s["max"]["processes"], 5);
  EXPECT_EQ(s["max"]["rss_kib"], 900);
  EXPECT_EQ(s["max"]["fds"], 45);
  EXPECT_EQ(s["max"]["netns"], 9);
  EXPECT_EQ(sample_line(samples[1]), "sockspec-campaign: sample 4s processes 5 rss_kib 700 fds 45 netns 6");
}

}  // namespace
}  // namespace sockspec::fuzz
