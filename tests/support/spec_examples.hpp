#pragma once

// The code examples of protocol/README.md, read from the page itself, so that the tests check
// what a client writer reads (not a copy of it). HUB_SOURCE_DIR is the source tree's root (a
// compile definition of the test executables that use this header).

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace hub::testing {

/// The text of protocol/README.md (empty when it cannot be read).
inline std::string protocol_readme() {
  std::ifstream in(std::string(HUB_SOURCE_DIR) + "/protocol/README.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The fenced code blocks of `markdown` in `language` ("json", "js"), each as its text.
inline std::vector<std::string> code_blocks(const std::string& markdown,
                                            const std::string& language) {
  std::vector<std::string> out;
  const std::string open = "```" + language + "\n";
  for (auto at = markdown.find(open); at != std::string::npos;
       at = markdown.find(open, at + open.size())) {
    const auto begin = at + open.size();
    const auto end = markdown.find("```", begin);
    if (end == std::string::npos)
      break;
    out.push_back(markdown.substr(begin, end - begin));
  }
  return out;
}

/// Every line of the page's JSON blocks: one message each.
inline std::vector<std::string> json_examples() {
  std::vector<std::string> out;
  for (const auto& block : code_blocks(protocol_readme(), "json")) {
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty())
        out.push_back(line);
  }
  return out;
}

} // namespace hub::testing
