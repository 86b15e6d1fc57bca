// Verdicts as data that crosses a process boundary: a run inside a qemu
// guest (`check --kernel 6.1`) sends each scenario's verdict back to the
// host process, which prints and records it as if it had run it itself.
//
// Contract: decode_verdict(encode_verdict(v), program) equals v for a verdict
// of `program` (every result, rule, mark and note; the profile it ran on).
// The encoding is one JSON object; bytes that are not text (received data,
// abstract unix names) travel hex-encoded, so any result survives. A record
// that does not fit `program` (another line count, an unknown rule, a bad
// field) throws std::runtime_error saying what is wrong.
#pragma once

#include <nlohmann/json.hpp>

#include "check/driver.h"

namespace sockspec {

nlohmann::json encode_verdict(const ScenarioVerdict& verdict);
ScenarioVerdict decode_verdict(const nlohmann::json& record, const Program& program);

nlohmann::json encode_result(const Result& result);
Result decode_result(const nlohmann::json& record);

}  // namespace sockspec
