#!/usr/bin/python3
"""A drag source for the end-to-end tests: a small GTK window at the screen's top left whose
button drags one file (text/uri-list), as a file manager's icon does. The test drags from it
with xdotool onto the app's window, so the app gets a real X drag and drop (XDND), as from a
file manager. Usage: drag-file.py PATH (runs until killed). Needs python3-gi and GTK 3's
introspection data (scripts/setup installs them)."""
import sys
from pathlib import Path

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

uri = Path(sys.argv[1]).resolve().as_uri()

window = Gtk.Window(title="omni-e2e-drag-source")
window.set_default_size(160, 80)
window.move(0, 0)
button = Gtk.Button(label="drag me")
button.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
button.drag_source_add_uri_targets()
button.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris([uri]))
window.add(button)
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
