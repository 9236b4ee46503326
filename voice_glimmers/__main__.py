from voice_glimmers.cli import main

raise SystemExit(main())
