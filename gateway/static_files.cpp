#include "gateway/static_files.hpp"

#include "gateway/net/percent.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

namespace hub::gateway {

namespace http = boost::beast::http;

namespace {

/// Files larger than this are not served (the dashboard is a few small files).
constexpr std::uintmax_t max_file_bytes = 32 * 1024 * 1024;

static_files::result refuse(http::status status, std::string why) {
  return {status, "text/plain; charset=utf-8", std::move(why) + "\n"};
}

} // namespace

static_files::static_files(std::filesystem::path root) {
  std::error_code ec;
  if (!root.empty()) {
    root_ = std::filesystem::weakly_canonical(root, ec);
    if (ec)
      root_.clear();
  }
}

std::string_view static_files::mime_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> types{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/vnd.microsoft.icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
      {".geojson", "application/geo+json"},
  }};
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    auto ext = path.substr(dot);
    for (auto& [e, type] : types) {
      bool same = e.size() == ext.size();
      for (std::size_t i = 0; same && i < e.size(); ++i)
        same = e[i] == (ext[i] >= 'A' && ext[i] <= 'Z' ? ext[i] - 'A' + 'a' : ext[i]);
      if (same)
        return type;
    }
  }
  return "application/octet-stream";
}

static_files::result static_files::get(std::string_view target) const {
  auto path_part = target.substr(0, target.find('?'));
  std::string path;
  if (path_part.empty() || path_part.front() != '/' || !percent_decode(path_part, path))
    return refuse(http::status::bad_request, "bad path");
  // Refuse `..` anywhere as a segment, and anything that is not a plain relative path.
  for (std::size_t start = 1; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    if (path.compare(start, end - start, "..") == 0)
      return refuse(http::status::bad_request, "'..' is not allowed in a path");
    start = end + 1;
  }
  if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
    return refuse(http::status::bad_request, "bad path");
  if (root_.empty())
    return refuse(http::status::not_found, "not found");

  std::error_code ec;
  auto file = root_ / std::filesystem::path(path.substr(1));
  if (std::filesystem::is_directory(file, ec))
    file /= "index.html";
  // The real file must be inside the root (a symlink may point out of it).
  auto real = std::filesystem::weakly_canonical(file, ec);
  if (ec || !std::filesystem::is_regular_file(real, ec))
    return refuse(http::status::not_found, "not found");
  auto rel = real.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..")
    return refuse(http::status::not_found, "not found");
  auto size = std::filesystem::file_size(real, ec);
  if (ec || size > max_file_bytes)
    return refuse(http::status::not_found, "not found");

  std::ifstream in(real, std::ios::binary);
  if (!in)
    return refuse(http::status::not_found, "not found");
  result r;
  r.status = http::status::ok;
  r.content_type = std::string(mime_type(real.filename().string()));
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

} // namespace hub::gateway
