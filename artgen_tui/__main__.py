from artgen_tui.cli import main

raise SystemExit(main())
