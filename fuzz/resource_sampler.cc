#include "fuzz/resource_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace sockspec::fuzz {

namespace {

namespace fs = std::filesystem;

// Every process's parent, from /proc/PID/stat (the field after the
// parenthesized command name, which may itself hold spaces and parentheses).
std::multimap<pid_t, pid_t> children_by_parent() {
  std::multimap<pid_t, pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    pid_t parent = 0;
    if (rest >> state >> parent) children.emplace(parent, static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

std::vector<pid_t> process_tree(pid_t root) {
  const auto children = children_by_parent();
  std::vector<pid_t> tree{root};
  for (std::size_t i = 0; i < tree.size(); ++i) {
    auto [first, last] = children.equal_range(tree[i]);
    for (auto it = first; it != last; ++it) tree.push_back(it->second);
  }
  return tree;
}

long rss_kib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return 0;  // gone, or a zombie
}

std::string link_target(const fs::path& link) {
  std::error_code ec;
  return fs::read_symlink(link, ec).string();
}

// Counts the process's open descriptors, and adds the network namespaces it
// holds to `netns`.
long descriptors(pid_t pid, std::set<std::string>& netns) {
  long fds = 0;
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
    ++fds;
    if (std::string target = link_target(fd.path()); target.starts_with("net:[")) netns.insert(target);
  }
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec))
    if (std::string target = link_target(task.path() / "ns" / "net"); !target.empty()) netns.insert(target);
  return fds;
}

nlohmann::json as_json(const ResourceSample& s) {
  return {{"seconds", s.seconds}, {"processes", s.processes}, {"rss_kib", s.rss_kib}, {"fds", s.fds},
          {"netns", s.netns}};
}

}  // namespace

ResourceSample sample_processes(pid_t root) {
  ResourceSample s;
  std::set<std::string> netns;
  for (pid_t pid : process_tree(root)) {
    if (!fs::exists(fmt::format("/proc/{}", pid))) continue;
    ++s.processes;
    s.rss_kib += rss_kib(pid);
    s.fds += descriptors(pid, netns);
  }
  s.netns = static_cast<long>(netns.size());
  return s;
}

std::string sample_line(const ResourceSample& s) {
  return fmt::format("sockspec-campaign: sample {:.0f}s processes {} rss_kib {} fds {} netns {}", s.seconds,
                     s.processes, s.rss_kib, s.fds, s.netns);
}

nlohmann::json samples_summary(const std::vector<ResourceSample>& samples, int sample_seconds) {
  nlohmann::json out = {{"sample_seconds", sample_seconds}, {"samples", samples.size()}, {"first", nullptr},
                        {"last", nullptr}, {"max", nullptr}};
  if (samples.empty()) return out;
  ResourceSample most = samples.front();
  for (const ResourceSample& s : samples) {
    most.seconds = std::max(most.seconds, s.seconds);
    most.processes = std::max(most.processes, s.processes);
    most.rss_kib = std::max(most.rss_kib, s.rss_kib);
    most.fds = std::max(most.fds, s.fds);
    most.netns = std::max(most.netns, s.netns);
  }
  out["first"] = as_json(samples.front());
  out["last"] = as_json(samples.back());
  out["max"] = as_json(most);
  return out;
}

}  // namespace sockspec::fuzz
