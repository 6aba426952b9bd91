// The SPF helper program of the unit tests (the relay's is `hikyaku spf-helper`): serves
// auth::spf_helper_main on fd 3. With a mode argument it misbehaves on purpose, for the pool's
// failure tests: "hang" reads the request and never answers, "garbage" answers with a frame
// of an unknown type, "exit" exits on the first request.
#include <unistd.h>

#include <cstring>

#include "auth/spf_helper_main.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return hikyaku::auth::spf_helper_main(3);
  char buf[4096];
  if (::read(3, buf, sizeof buf) <= 0) return 0;
  if (std::strcmp(argv[1], "hang") == 0) {
    for (;;) ::pause();
  }
  if (std::strcmp(argv[1], "garbage") == 0) {
    const char frame[] = {0, 0, 0, 2, 9, 9};
    if (::write(3, frame, sizeof frame) != sizeof frame) return 1;
    ::sleep(30);
  }
  return 0;
}
