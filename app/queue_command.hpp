// `hikyaku queue list|flush|delete ID` (DESIGN §4): against the running server's control socket
// ([queue] control_socket), or the spool itself when no server answers there.
#pragma once
#include <string>

namespace hikyaku::app {

enum class QueueVerb { list, flush, remove };

// Exit 0 ok, 1 no such entry or the server refused, 2 config error or unreadable spool.
int queue_command(const std::string& config_path, QueueVerb verb, const std::string& queue_id);

}  // namespace hikyaku::app
