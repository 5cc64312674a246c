from mockgw.cli import main

raise SystemExit(main())
