package session

// Connections returns what reports the session's connection statuses (the auth package's Manager in a server), or
// nil. The MCP server uses it for COMPOSIO_MANAGE_CONNECTIONS.
func (s *Session) Connections() Connections { return s.connections }
