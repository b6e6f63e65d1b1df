"""The main window and what belongs to it as a whole: start-up, files, recovery, import and export dialogs."""
