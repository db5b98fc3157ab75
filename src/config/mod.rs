//! Shipped defaults plus user overlays: settings, keymaps and themes.
