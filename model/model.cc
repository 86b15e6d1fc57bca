// Model::step: checks the line's socket name, then dispatches on the
// operation to its handler (model/handlers.h).
#include "model/model.h"

#include <cerrno>
#include <variant>

#include "model/handlers.h"
#include "model/world.h"

namespace sockspec {

namespace {

// Operations that act on an existing socket, as opposed to those that
// create sockets or act on the world (scenario-language.md: "A line that
// names a socket that is not open ... gives EBADF without any call").
bool acts_on_socket(const Operation& op) {
  return !std::holds_alternative<op::Socket>(op) && !std::holds_alternative<op::SocketPair>(op) &&
         !std::holds_alternative<op::SigUrg>(op) && !std::holds_alternative<op::Unlink>(op) &&
         !std::holds_alternative<op::Sleep>(op) && !std::holds_alternative<op::Ss>(op) &&
         !std::holds_alternative<op::Ns>(op) && !std::holds_alternative<op::Sysctl>(op) &&
         !std::holds_alternative<op::LinkAdd>(op) && !std::holds_alternative<op::AddrAdd>(op) &&
         !std::holds_alternative<op::Uid>(op);
}

}  // namespace

Model::Model(KernelProfile profile) : world_(std::make_unique<World>()), profile_(std::move(profile)) {
  world_->profile = profile_;
  world_->namespaces.push_back(Namespace{.name = "main", .interfaces = {Interface{.name = "lo"}}});
}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

Step Model::step(const Line& line, const Observation* observed) {
  Step step;
  Ctx ctx{*world_, line, observed, step, profile_};
  if (acts_on_socket(line.op) && ctx.target() == kNoSocket) {
    ctx.rule("socket.name.not_open_ebadf");
    step.result = Result::err(EBADF);
    return step;
  }
  if (auto r = mptcp_unsettled_line(ctx)) {
    step.result = *r;
    return step;
  }
  step.result = std::visit([&](const auto& op) { return handle(ctx, op); }, line.op);
  return step;
}

}  // namespace sockspec
