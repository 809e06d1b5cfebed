// Prints aidis's token estimate (src/core/text_signals.cpp) of every text of
// sample.jsonl, one number per line. Build and run from the repository root:
//   g++ -std=c++17 -Isrc docs/tokens-sample/estimate.cpp src/core/text_signals.cpp -o /tmp/estimate
//   /tmp/estimate < docs/tokens-sample/sample.jsonl > /tmp/estimates.txt
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/text_signals.hpp"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto item = nlohmann::json::parse(line);
    std::cout << aidis::core::estimate_tokens(item.at("text").get<std::string>()) << "\n";
  }
}
