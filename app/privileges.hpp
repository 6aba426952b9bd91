// Dropping root after the listeners are bound (DESIGN §1: "the process drops root after
// binding port 25"): setgroups, setgid, setuid to a configured user, never back.
#pragma once
#include <string>

namespace hikyaku::app {

// Switches to `user` (and its primary and supplementary groups). Returns an empty string on
// success, or why it failed. Not root and `user` is the current user: nothing to do.
std::string drop_privileges(const std::string& user);

}  // namespace hikyaku::app
