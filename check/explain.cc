#include "check/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "model/model.h"
#include "scenario/input_file.h"
#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec {

namespace fs = std::filesystem;

namespace {

// The paragraphs of one `### rule` section, joined line by line.
void add_paragraph(RuleDoc& doc, std::string& paragraph) {
  if (paragraph.empty()) return;
  if (paragraph.starts_with("Kernel:")) {
    doc.kernel = paragraph.substr(paragraph.find_first_not_of(' ', 7));
  } else if (doc.statement.empty() && !paragraph.starts_with("Example:")) {
    doc.statement = paragraph;
  }
  paragraph.clear();
}

void read_spec_file(const fs::path& file, std::map<std::string, RuleDoc, std::less<>>& docs) {
  std::istringstream in(read_input_file(file.string()));
  RuleDoc* doc = nullptr;
  std::string paragraph;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) {
      if (doc) add_paragraph(*doc, paragraph);
      doc = nullptr;
      if (line.starts_with("### ")) {
        doc = &docs[line.substr(4)];
        doc->file = "spec/" + file.filename().string();
      }
    } else if (line.find_first_not_of(" \t") == std::string::npos) {
      if (doc) add_paragraph(*doc, paragraph);
    } else if (doc) {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  if (doc) add_paragraph(*doc, paragraph);
}

std::string socket_name(const World& world, SocketId id) {
  for (const auto& [name, sid] : world.names)
    if (sid == id) return name;
  const Socket& s = world.sock(id);
  if (!s.open) return fmt::format("socket #{} (closed)", id);
  if (s.listener != kNoSocket)  // a connection in the accept queue has no name yet
    return fmt::format("a connection queued on {}, not yet accepted", socket_name(world, s.listener));
  return fmt::format("socket #{}", id);
}

// `w: inet stream, bound 0.0.0.0:8080, LISTEN, SO_REUSEADDR`
std::string describe(const World& world, SocketId id) {
  const Socket& s = world.sock(id);
  std::string out = fmt::format("{}: {} {}", socket_name(world, id), vocab::family(s.family).word, vocab::sock_type(s.type).word);
  if (s.uid != 0) out += fmt::format(" (uid {})", s.uid);
  out += s.local ? ", bound " + print_address(*s.local) : ", unbound";
  if (s.peer) out += ", peer " + print_address(*s.peer);
  out += fmt::format(", {}", vocab::tcp_state_word(kernel_state(s.state)));
  if (s.opt.reuseaddr) out += ", SO_REUSEADDR";
  if (s.opt.reuseport) out += ", SO_REUSEPORT";
  if (s.family == Family::Inet6) out += s.opt.v6only ? ", IPV6_V6ONLY" : ", not IPV6_V6ONLY";
  if (s.opt.freebind) out += ", IP_FREEBIND";
  if (s.opt.bind_address_no_port) out += ", IP_BIND_ADDRESS_NO_PORT";
  if (!s.opt.bindtodevice.empty()) out += ", SO_BINDTODEVICE " + s.opt.bindtodevice;
  if (s.state == SockState::Listen)
    out += fmt::format(", {} of {} queued", s.accept_queue.size(), s.backlog + 1);
  return out;
}

// The address a line names (bind, connect, sendto), if any.
const Address* target_address(const Line& line) {
  if (auto* b = std::get_if<op::Bind>(&line.op)) return &b->addr.base;
  if (auto* c = std::get_if<op::Connect>(&line.op)) return &c->addr.base;
  if (auto* s = std::get_if<op::SendTo>(&line.op)) return &s->addr.base;
  return nullptr;
}

// Does `held` (a bound address) share the port or name `wanted` asks for?
bool same_port_or_name(const Address& held, const Address& wanted) {
  if (wanted.kind == AddressKind::Unix) return held.kind == AddressKind::Unix && held.path == wanted.path;
  const bool inet = [](AddressKind k) { return k == AddressKind::Inet4 || k == AddressKind::Inet6; }(held.kind);
  return inet && wanted.port != 0 && held.port == wanted.port;
}

}  // namespace

std::map<std::string, RuleDoc, std::less<>> read_rule_docs(const fs::path& spec_dir) {
  std::error_code ec;
  fs::directory_iterator it(spec_dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot read the spec in {}: {}", spec_dir.string(), ec.message()));
  std::map<std::string, RuleDoc, std::less<>> docs;
  for (const auto& entry : it)
    if (entry.path().extension() == ".md") read_spec_file(entry.path(), docs);
  return docs;
}

std::optional<fs::path> find_spec_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SOCKSPEC_SPEC_DIR")) candidates.emplace_back(env);
  candidates.emplace_back("spec");
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "spec");
    candidates.push_back(exe.parent_path().parent_path().parent_path() / "spec");
  }
  for (const fs::path& c : candidates)
    if (fs::is_regular_file(c / "bind.md", ec)) return fs::absolute(c);
  return std::nullopt;
}

std::vector<std::string> sockets_involved(const Line& line, const World& world) {
  std::vector<SocketId> ids;
  auto add = [&](SocketId id) {
    if (id != kNoSocket && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  SocketId self = kNoSocket;
  if (auto it = world.names.find(line.socket); !line.socket.empty() && it != world.names.end()) self = it->second;
  add(self);
  const Address* wanted = target_address(line);
  std::optional<Address> own_port;  // listen: the port the socket already holds
  if (!wanted && self != kNoSocket && std::holds_alternative<op::Listen>(line.op)) own_port = world.sock(self).local;
  if (own_port) wanted = &*own_port;
  if (wanted) {
    for (SocketId id = 0; id < static_cast<SocketId>(world.sockets.size()); ++id) {
      const Socket& s = world.sock(id);
      // closed sockets still hold their port in TIME-WAIT
      const bool holds = s.open || s.state == SockState::TimeWait;
      if (holds && s.ns == world.current_ns && s.local && same_port_or_name(*s.local, *wanted)) add(id);
    }
  }
  if (self != kNoSocket) {
    add(world.sock(self).peer_socket);
    add(world.sock(self).listener);
  }
  std::vector<std::string> out;
  for (SocketId id : ids) out.push_back(describe(world, id));
  return out;
}

std::optional<Explanation> explain_line(const Program& program, int line_no, Mode mode, DriverConfig config) {
  const Line* target = nullptr;
  for (const Line& line : program.lines)
    if (line.line_no == line_no) target = &line;
  if (!target) return std::nullopt;
  Explanation e;
  e.file = program.file;
  e.line_no = line_no;
  e.operation = print_operation(*target);
  config.before_model_step = [&](const Line& line, const Model& model) {
    if (line.line_no == line_no) e.sockets = sockets_involved(line, model.world());
  };
  ScenarioVerdict verdict = run_scenario(program, mode, config);
  for (const LineVerdict& v : verdict.lines) {
    if (v.line != target) continue;
    e.kernel = v.kernel;
    e.model = v.model;
    for (auto r : v.rules) e.rules.emplace_back(r);
    e.note = v.note;
    e.diverged = v.diverged;
    e.unsupported = v.unsupported;
    e.skipped = v.skipped;
  }
  return e;
}

std::string explanation_text(const Explanation& e, const std::map<std::string, RuleDoc, std::less<>>& docs) {
  std::string out = fmt::format("{}:{}: {}\n", e.file, e.line_no, e.operation);
  if (e.kernel && e.model) {
    if (e.diverged)
      out += fmt::format("  the kernel says {}, but the model says {}: they DIVERGE\n", print_result(*e.kernel),
                         print_result(*e.model));
    else
      out += fmt::format("  result: {} (the kernel and the model agree)\n", print_result(*e.kernel));
  } else if (e.kernel || e.model) {
    out += fmt::format("  result: {} (the {} alone)\n", print_result(e.kernel ? *e.kernel : *e.model),
                       e.kernel ? "kernel" : "model");
  }
  if (e.skipped) out += "  the line did not run" + (e.note.empty() ? std::string("\n") : ": " + e.note + "\n");
  if (e.unsupported) out += fmt::format("  the model does not cover this line: {}\n", e.note);
  else if (!e.note.empty() && !e.skipped) out += fmt::format("  note: {}\n", e.note);
  if (!e.rules.empty()) {
    // the model cites rules in the order it applied them: the last decided
    const std::string& last = e.rules.back();
    auto doc = docs.find(last);
    out += fmt::format("  because ({}): {}\n", last,
                       doc == docs.end() ? "no statement in spec/ for this rule" : doc->second.statement);
    out += "  rules the model used, in order:\n";
    for (const std::string& rule : e.rules) {
      auto d = docs.find(rule);
      if (d == docs.end()) {
        out += fmt::format("    {}\n", rule);
        continue;
      }
      out += fmt::format("    {} ({}): {}\n", rule, d->second.file, d->second.statement);
      if (!d->second.kernel.empty()) out += fmt::format("      kernel: {}\n", d->second.kernel);
    }
  }
  if (!e.sockets.empty()) {
    out += "  sockets involved, just before this line:\n";
    for (const std::string& s : e.sockets) out += fmt::format("    {}\n", s);
  }
  return out;
}

}  // namespace sockspec
