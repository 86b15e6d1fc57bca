#include "check/verdict_codec.h"

#include <fmt/format.h>

#include <stdexcept>

#include "model/rules.h"

namespace sockspec {

namespace {

using nlohmann::json;

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string unhex(const std::string& text) {
  if (text.size() % 2) throw std::runtime_error("odd-length hex field");
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  return out;
}

json encode_address(const Address& a) {
  return {{"kind", static_cast<int>(a.kind)},
          {"ip", hex(std::string_view(reinterpret_cast<const char*>(a.ip.data()), a.ip.size()))},
          {"port", a.port},
          {"scope", a.scope},
          {"path", hex(a.path)}};
}

Address decode_address(const json& j) {
  Address a;
  a.kind = static_cast<AddressKind>(j.at("kind").get<int>());
  const std::string ip = unhex(j.at("ip").get<std::string>());
  if (ip.size() != a.ip.size()) throw std::runtime_error("an address of the wrong length");
  std::copy(ip.begin(), ip.end(), a.ip.begin());
  a.port = j.at("port").get<std::uint16_t>();
  a.scope = j.at("scope").get<std::string>();
  a.path = unhex(j.at("path").get<std::string>());
  return a;
}

json optional_address(const std::optional<Address>& a) { return a ? encode_address(*a) : json(nullptr); }
std::optional<Address> decode_optional_address(const json& j) {
  if (j.is_null()) return std::nullopt;
  return decode_address(j);
}

// Rule names live in the registry (model/rules.cc); a RuleTrace keeps views
// of them, so decoded names are looked up there.
std::string_view registered_rule(const std::string& name) {
  const Rule* r = find_rule(name);
  if (!r) throw std::runtime_error("unknown rule " + name);
  return r->name;
}

json encode_line(const LineVerdict& v) {
  json rules = json::array();
  for (auto r : v.rules) rules.push_back(std::string(r));
  json j = {{"rules", rules},
            {"expectation_failed", v.expectation_failed},
            {"diverged", v.diverged},
            {"unsupported", v.unsupported},
            {"skipped", v.skipped},
            {"note", hex(v.note)}};
  if (v.kernel) j["kernel"] = encode_result(*v.kernel);
  if (v.model) j["model"] = encode_result(*v.model);
  return j;
}

}  // namespace

json encode_result(const Result& r) {
  json rows = json::array();
  for (const SsRow& row : r.rows)
    rows.push_back({{"proto", row.proto},
                    {"state", row.state},
                    {"local", optional_address(row.local)},
                    {"peer", optional_address(row.peer)},
                    {"recvq", row.recvq},
                    {"sendq", row.sendq}});
  return {{"kind", static_cast<int>(r.kind)}, {"integer", r.integer},  {"text", hex(r.text)},
          {"address", optional_address(r.address)}, {"from_truncated", r.from_truncated}, {"rows", rows}};
}

Result decode_result(const json& j) {
  Result r;
  const int kind = j.at("kind").get<int>();
  if (kind < 0 || kind > static_cast<int>(Result::Kind::Skip)) throw std::runtime_error("unknown result kind");
  r.kind = static_cast<Result::Kind>(kind);
  r.integer = j.at("integer").get<std::int64_t>();
  r.text = unhex(j.at("text").get<std::string>());
  r.address = decode_optional_address(j.at("address"));
  r.from_truncated = j.at("from_truncated").get<bool>();
  for (const json& row : j.at("rows"))
    r.rows.push_back(SsRow{.proto = row.at("proto").get<std::string>(),
                           .state = row.at("state").get<std::string>(),
                           .local = decode_optional_address(row.at("local")),
                           .peer = decode_optional_address(row.at("peer")),
                           .recvq = row.at("recvq").get<std::uint32_t>(),
                           .sendq = row.at("sendq").get<std::uint32_t>()});
  return r;
}

json encode_verdict(const ScenarioVerdict& verdict) {
  json lines = json::array();
  for (const LineVerdict& v : verdict.lines) lines.push_back(encode_line(v));
  return {{"file", verdict.file},
          {"error", verdict.error},
          {"limitation", verdict.limitation},
          {"kernel", verdict.profile.name()},
          {"release", verdict.profile.release},
          {"lines", lines}};
}

ScenarioVerdict decode_verdict(const json& record, const Program& program) {
  ScenarioVerdict verdict;
  verdict.file = program.file;
  verdict.error = record.at("error").get<std::string>();
  verdict.limitation = record.at("limitation").get<std::string>();
  auto profile = parse_kernel_profile(record.at("kernel").get<std::string>());
  if (!profile) throw std::runtime_error("an unknown kernel profile " + record.at("kernel").dump());
  verdict.profile = *profile;
  verdict.profile.release = record.at("release").get<std::string>();
  const json& lines = record.at("lines");
  if (lines.size() != program.lines.size())
    throw std::runtime_error(fmt::format("{} lines in the record of {}, which has {}", lines.size(), program.file,
                                         program.lines.size()));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json& j = lines[i];
    LineVerdict& v = verdict.lines.emplace_back();
    v.line = &program.lines[i];
    for (const json& r : j.at("rules")) v.rules.add(registered_rule(r.get<std::string>()));
    v.expectation_failed = j.at("expectation_failed").get<bool>();
    v.diverged = j.at("diverged").get<bool>();
    v.unsupported = j.at("unsupported").get<bool>();
    v.skipped = j.at("skipped").get<bool>();
    v.note = unhex(j.at("note").get<std::string>());
    if (j.contains("kernel")) v.kernel = decode_result(j.at("kernel"));
    if (j.contains("model")) v.model = decode_result(j.at("model"));
    v.expect = expectation_for(program.lines[i], verdict.profile);
  }
  return verdict;
}

}  // namespace sockspec
