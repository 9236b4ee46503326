from voice_glimmers.app.cli import main

raise SystemExit(main())
