// Finding signatures and atomic finding files (check/finding.h).
#include "check/finding.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <set>
#include <system_error>

#include "check/reproducer.h"
#include "scenario/printer.h"

namespace sockspec {

namespace {

const char* family_word(const std::optional<Address>& a) {
  if (!a) return "none";
  switch (a->kind) {
    case AddressKind::Unspec: return "unspec";
    case AddressKind::Inet4: return "inet";
    case AddressKind::Inet6: return "inet6";
    case AddressKind::Unix: return "unix";
  }
  return "?";
}

// The `ss` rows of `table` that `other` does not have, as `proto state`
// (ports and queues vary between runs of one bug).
std::string rows_not_in(const Result& table, const Result& other) {
  std::set<std::string> kinds;
  for (const SsRow& row : table.rows)
    if (std::find(other.rows.begin(), other.rows.end(), row) == other.rows.end())
      kinds.insert(row.proto + " " + row.state);
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ",") + k;
  return fmt::format("table({})", out);
}

// The result with what varies between runs of one bug left out.
std::string result_class(const Result& r, const Result& other) {
  switch (r.kind) {
    case Result::Kind::Bytes: return fmt::format("data[{}]", r.text.size());
    case Result::Kind::Address: return fmt::format("address({})", family_word(r.address));
    case Result::Kind::From: return fmt::format("from({})", family_word(r.address));
    case Result::Kind::Table: return rows_not_in(r, other);
    default: return print_result(r);
  }
}

// `bind`, or `setsockopt SO_LINGER`: the operation's word, and the option
// for set/getsockopt (`setsockopt S OPT VALUE`).
std::string operation_kind(const Line& line) {
  std::string text = print_operation(line);
  std::size_t start = line.names.empty() ? 0 : text.find("= ") + 2;
  std::size_t end = text.find(' ', start);
  std::string kind = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (std::holds_alternative<op::SetSockOpt>(line.op) || std::holds_alternative<op::GetSockOpt>(line.op)) {
    if (auto* s = std::get_if<op::SetSockOpt>(&line.op)) {
      Line get = line;  // print the option alone: `getsockopt S OPT`
      get.op = op::GetSockOpt{s->opt};
      text = print_operation(get);
    }
    kind += text.substr(text.rfind(' '));
  }
  return kind;
}

void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

std::string divergence_signature(const Line& line, const LineVerdict& verdict) {
  // each rule once: an `ss` line cites a row's rule once per row
  std::vector<std::string_view> cited;
  std::string rules;
  for (auto rule : verdict.rules) {
    if (std::find(cited.begin(), cited.end(), rule) != cited.end()) continue;
    cited.push_back(rule);
    rules += (rules.empty() ? "" : ",") + std::string(rule);
  }
  return fmt::format("{} | {} | {} | {}", operation_kind(line), rules.empty() ? "-" : rules,
                     verdict.kernel && verdict.model ? result_class(*verdict.kernel, *verdict.model) : "-",
                     verdict.kernel && verdict.model ? result_class(*verdict.model, *verdict.kernel) : "-");
}

std::optional<Divergence> find_divergence(const Program& program, const ScenarioVerdict& verdict,
                                          std::string_view signature) {
  for (std::size_t i = 0; i < verdict.lines.size() && i < program.lines.size(); ++i) {
    const LineVerdict& v = verdict.lines[i];
    if (!v.diverged || !v.kernel || !v.model) continue;
    std::string sig = divergence_signature(program.lines[i], v);
    if (!signature.empty() && sig != signature) continue;
    Divergence d{i, print_operation(program.lines[i]), *v.kernel, *v.model, {}, std::move(sig), verdict.profile};
    for (auto rule : v.rules) d.rules.emplace_back(rule);
    return d;
  }
  return std::nullopt;
}

std::string finding_id(std::string_view signature) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  for (unsigned char c : signature) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string finding_header_signature(std::string_view text) {
  static constexpr std::string_view kKey = "# signature: ";
  const auto at = text.find(kKey);
  if (at == std::string_view::npos) return "";
  const auto end = text.find('\n', at);
  return std::string(text.substr(at + kKey.size(), end == std::string_view::npos ? std::string_view::npos
                                                                                  : end - at - kKey.size()));
}

std::string finding_scenario_text(const Program& program, const Divergence& d) {
  std::string rules;
  for (const auto& r : d.rules) rules += (rules.empty() ? "" : " ") + r;
  // on gVisor the finding is about gVisor: the model speaks for Linux
  const bool gvisor = is_gvisor_release(d.profile.release);
  const std::string what = gvisor ? fmt::format("{} breaks a Linux rule in {}", d.profile.release, program.file)
                                  : "the model and the kernel disagree";
  std::string out = fmt::format(
      "# sockspec finding {}: {} on line {}:\n"
      "#   {}\n"
      "# {}: {}\n"
      "# {}:  {}\n"
      "# rules:  {}\n"
      "# signature: {}\n"
      "# kernel: {} (the model answered for this profile)\n"
      "# Reproduce: sockspec check{} -v THIS_FILE, or cc the .c file next to it and run it{}.\n",
      finding_id(d.signature), what, d.line + 1, d.operation, gvisor ? "gVisor" : "kernel", print_result(d.kernel),
      gvisor ? "Linux" : "model", print_result(d.model), rules.empty() ? "(none)" : rules, d.signature,
      d.profile.describe(), gvisor ? " --kernel gvisor" : "",
      gvisor ? " (cc -static) with `runsc --network=none --platform=ptrace do ./a.out`, as root" : "");
  return out + print_program(program);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  // unique per process and call, so concurrent writers never share a temp file
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp = path;
  temp += fmt::format(".tmp.{}.{}", getpid(), counter++);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("creating " + temp.string());
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      unlink(temp.c_str());
      errno = e;
      throw_errno("writing " + temp.string());
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    throw_errno("syncing " + temp.string());
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(temp.c_str());
    errno = e;
    throw_errno("renaming " + temp.string() + " to " + path.string());
  }
}

std::optional<std::filesystem::path> record_finding(const std::filesystem::path& dir, const Program& program,
                                                    const Divergence& divergence, const OracleConfig& config) {
  std::filesystem::create_directories(dir);
  std::string id = finding_id(divergence.signature);
  std::filesystem::path scn = dir / (id + ".scn");
  if (std::filesystem::exists(scn)) return std::nullopt;
  // the .c first: a finding is complete once its .scn exists
  write_file_atomically(dir / (id + ".c"), c_reproducer(program, divergence.line, print_result(divergence.model), config,
                                                                divergence.profile));
  write_file_atomically(scn, finding_scenario_text(program, divergence));
  return scn;
}

}  // namespace sockspec
