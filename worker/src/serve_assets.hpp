// The page's files, embedded at build time (cmake/embed.cmake generates the
// definitions from worker/web/).
#pragma once

#include <cstddef>

namespace aidis {

struct Asset {
  const char* path;  // "/index.html", "/app.js"
  const unsigned char* data;
  std::size_t size;
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

}  // namespace aidis
