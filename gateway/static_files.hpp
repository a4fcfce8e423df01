#pragma once

// Static files for GET requests that are not /healthz or /metrics: the dashboard. Paths are
// percent-decoded, then refused if any segment is `..` (or holds a backslash or NUL), and the
// resolved file must lie inside the root. "/" and directories serve their index.html.

#include <boost/beast/http/status.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace hub::gateway {

class static_files {
public:
  struct result {
    boost::beast::http::status status = boost::beast::http::status::not_found;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body; // the file, or a one-line reason
  };

  /// Serves files below `root`; an empty root serves nothing (404).
  explicit static_files(std::filesystem::path root);

  /// The response to GET `target` (path and optional query; the query is ignored).
  result get(std::string_view target) const;

  /// The Content-Type for a file name, by extension (application/octet-stream if unknown).
  static std::string_view mime_type(std::string_view path);

private:
  std::filesystem::path root_; // canonical, or empty
};

} // namespace hub::gateway
