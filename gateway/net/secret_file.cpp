#include "gateway/net/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace hub::gateway {

namespace {

constexpr std::size_t secret_bytes = min_secret_bytes;

std::string errno_text() { return std::strerror(errno); }

/// Writes all of `data` to `fd`; false on any error.
bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    auto w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

} // namespace

bool read_secret(const std::string& path, std::string& secret, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = path + ": cannot read the secret file: " + errno_text();
    return false;
  }
  secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (secret.size() < min_secret_bytes) {
    why = path + ": the secret is " + std::to_string(secret.size()) + " bytes; at least " +
          std::to_string(min_secret_bytes) +
          " are needed (remove the file and `hub serve` makes one of 32 random bytes)";
    secret.clear();
    return false;
  }
  return true;
}

bool load_or_create_secret(const std::string& path, std::string& secret, std::string& why) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return read_secret(path, secret, why);
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::create_directories(dir, ec) && ec) {
    why = dir.string() + ": cannot create the directory: " + ec.message();
    return false;
  }
  std::string bytes(secret_bytes, '\0');
  {
    std::ifstream random("/dev/urandom", std::ios::binary);
    if (!random.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
      why = "cannot read /dev/urandom";
      return false;
    }
  }
  // O_EXCL: if another process created the file meanwhile, use theirs.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return read_secret(path, secret, why);
    why = path + ": cannot create the secret file: " + errno_text();
    return false;
  }
  bool ok = write_all(fd, bytes.data(), bytes.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    why = path + ": cannot write the secret file: " + errno_text();
    ::unlink(path.c_str());
    return false;
  }
  secret = std::move(bytes);
  return true;
}

} // namespace hub::gateway
