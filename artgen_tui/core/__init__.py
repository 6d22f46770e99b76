"""Product logic shared by the TUI and the headless CLI. Never imports textual."""
