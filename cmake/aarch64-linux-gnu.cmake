# Cross-compiling for linux-arm64 with Debian's cross toolchain (apt-get install g++-aarch64-linux-gnu).
# Used by scripts/arm-tests.js:
#   cmake -S . -B build/arm64-tests -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(QINT8_CROSS_PREFIX aarch64-linux-gnu- CACHE STRING "Prefix of the cross tools")
set(CMAKE_C_COMPILER ${QINT8_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${QINT8_CROSS_PREFIX}g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Lets `ctest` / CMake run target binaries (qemu-user, apt-get install qemu-user).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
