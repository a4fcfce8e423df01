#include "gateway/open311/data_file.hpp"

#include <fstream>
#include <sstream>

namespace hub::open311 {

std::string read_data_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw data_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace hub::open311
