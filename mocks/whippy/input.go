package whippy

import "github.com/rivo/uniseg"

// graphemes counts the user-perceived characters of s, as Elixir's
// String.length does: a family emoji of seven code points, or an e with a
// combining accent, is one.
func graphemes(s string) int { return uniseg.GraphemeClusterCount(s) }
