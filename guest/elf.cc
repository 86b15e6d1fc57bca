#include "guest/elf.h"

#include <elf.h>

#include <cstdint>
#include <cstring>

namespace sockspec::guest {
namespace {

constexpr std::uint32_t kXenElfNotePhys32Entry = 18;  // include/xen/interface/elfnote.h

template <class T>
bool read_at(std::string_view elf, std::uint64_t offset, T* out) {
  if (offset > elf.size() || elf.size() - offset < sizeof(T)) return false;
  std::memcpy(out, elf.data() + offset, sizeof(T));
  return true;
}

bool is_elf64(std::string_view elf, Elf64_Ehdr* header) {
  return read_at(elf, 0, header) && std::memcmp(header->e_ident, ELFMAG, SELFMAG) == 0 &&
         header->e_ident[EI_CLASS] == ELFCLASS64;
}

bool section_named(std::string_view elf, const Elf64_Shdr& names, const Elf64_Shdr& section, const char* name) {
  std::uint64_t at = names.sh_offset + section.sh_name;
  return at < elf.size() && std::strncmp(elf.data() + at, name, elf.size() - at) == 0;
}

// Whether the notes in elf[offset, offset+size) hold one named `owner` of `type`.
bool has_note(std::string_view elf, std::uint64_t offset, std::uint64_t size, std::string_view owner,
              std::uint32_t type) {
  auto align4 = [](std::uint64_t n) { return (n + 3) & ~std::uint64_t(3); };
  for (std::uint64_t at = offset; at + sizeof(Elf64_Nhdr) <= offset + size;) {
    Elf64_Nhdr note;
    if (!read_at(elf, at, &note)) return false;
    std::uint64_t name_at = at + sizeof note;
    if (name_at + note.n_namesz > elf.size()) return false;
    std::string_view name = elf.substr(name_at, note.n_namesz);
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    if (name == owner && note.n_type == type) return true;
    at = name_at + align4(note.n_namesz) + align4(note.n_descsz);
  }
  return false;
}

}  // namespace

std::string modinfo(std::string_view elf, std::string_view key) {
  Elf64_Ehdr eh;
  Elf64_Shdr names;
  if (!is_elf64(elf, &eh) || !read_at(elf, eh.e_shoff + std::uint64_t(eh.e_shstrndx) * sizeof(Elf64_Shdr), &names))
    return {};
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!read_at(elf, eh.e_shoff + std::uint64_t(i) * sizeof sh, &sh)) return {};
    if (!section_named(elf, names, sh, ".modinfo")) continue;
    if (sh.sh_offset > elf.size() || elf.size() - sh.sh_offset < sh.sh_size) return {};
    std::string_view info = elf.substr(sh.sh_offset, sh.sh_size);  // "key=value\0key=value\0..."
    std::string prefix = std::string(key) + "=";
    for (std::size_t at = 0; at < info.size();) {
      std::size_t end = std::min(info.find('\0', at), info.size());
      std::string_view entry = info.substr(at, end - at);
      if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
      at = end + 1;
    }
  }
  return {};
}

bool is_static_executable(std::string_view elf) {
  Elf64_Ehdr eh;
  if (!is_elf64(elf, &eh)) return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read_at(elf, eh.e_phoff + std::uint64_t(i) * sizeof ph, &ph)) return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return true;
}

bool has_pvh_entry(std::string_view elf) {
  Elf64_Ehdr eh;
  if (!is_elf64(elf, &eh)) return false;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read_at(elf, eh.e_phoff + std::uint64_t(i) * sizeof ph, &ph)) return false;
    if (ph.p_type == PT_NOTE && has_note(elf, ph.p_offset, ph.p_filesz, "Xen", kXenElfNotePhys32Entry)) return true;
  }
  return false;
}

}  // namespace sockspec::guest
