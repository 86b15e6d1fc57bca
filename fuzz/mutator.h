// Structure-aware mutation of scenarios, for libFuzzer (fuzz/targets/).
//
// The fuzzer's inputs are scenario text, so the corpus stays readable
// scenarios. A ScenarioMutator parses nothing itself: it works on a Program
// (scenario/ast.h) and its callers print the result back to text.
//
// Contract: every Program that mutate(), crossover() and generate() return
//   - prints to text that parses back to an equal Program (no unbound
//     variables, no malformed values), and
//   - names only sockets that an earlier line created (`S = socket`,
//     `accept`, `socketpair`), and
//   - fits FuzzLimits (fit_to_limits holds it).
// Values come from collision-prone dictionaries (0.0.0.0, 127.0.0.1, ::,
// ::ffff:127.0.0.1, unix:@a, ports 0 / 8080 / 8081, every option and flag):
// those are where bind conflicts, dual-stack and urgent-data corner cases
// live. Deterministic for a given seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "scenario/ast.h"

namespace sockspec::fuzz {

// What keeps one execution cheap: the kernel is the bottleneck, and every
// socket, namespace and sleep costs kernel time.
struct FuzzLimits {
  std::size_t max_lines = 48;
  std::size_t max_sockets = 12;     // distinct socket names
  std::size_t max_namespaces = 3;   // distinct `ns` names besides `main`
  std::size_t max_links = 1;        // `link add` lines (a veth pair is slow)
  std::int64_t max_recv_len = 4096;
  std::size_t max_data = 256;       // bytes in one send
};

// Makes `program` fit `limits` and the contract above: drops `sleep` lines
// (they only cost time: loopback is synchronous), lines past the limits,
// lines acting on sockets no earlier line created, and variable uses no
// earlier expectation binds; clamps lengths. Idempotent.
void fit_to_limits(Program& program, const FuzzLimits& limits);

// The words of the dictionaries, as scenario text: every host with every
// port, the unix addresses, the family, socket type and option names. For
// engines that take a dictionary file (`<target>.dict`, .clusterfuzzlite/).
std::vector<std::string> dictionary_words();

// `count` scenarios made deterministically from `seed`: each a mutation of
// one of `seeds` (or a fresh one when there are none), with no expectation
// left but those binding variables later lines use, for runs that compare results rather than assert them (`kernels
// diff --random`).
std::vector<Program> seeded_scenarios(const std::vector<Program>& seeds, std::uint32_t seed, std::size_t count);

class ScenarioMutator {
 public:
  explicit ScenarioMutator(std::uint32_t seed, FuzzLimits limits = {});

  // One to three structural or value mutations of `program`.
  Program mutate(const Program& program);
  // A prefix of `a` followed by a suffix of `b`, or a block of `b` spliced
  // into `a`.
  Program crossover(const Program& a, const Program& b);
  // A fresh small scenario (for inputs that do not parse).
  Program generate();

 private:
  std::mt19937 rng_;
  FuzzLimits limits_;

  void mutate_once(Program& program);
  Program finish(Program program);
};

}  // namespace sockspec::fuzz
