# Cross-building dfuscope.exe for 64-bit Windows with Debian's mingw-w64
# (apt-get install gcc-mingw-w64-x86-64): scripts/build-windows, or
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(DFS_MINGW_PREFIX x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${DFS_MINGW_PREFIX}-gcc-win32 ${DFS_MINGW_PREFIX}-gcc)
find_program(CMAKE_RC_COMPILER NAMES ${DFS_MINGW_PREFIX}-windres)
if(NOT CMAKE_C_COMPILER)
  message(FATAL_ERROR "${DFS_MINGW_PREFIX}-gcc not found (Debian: apt-get install "
                      "gcc-mingw-w64-x86-64)")
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${DFS_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
