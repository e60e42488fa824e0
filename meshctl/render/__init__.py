"""Model -> text: istioctl's plain tables or Rich ones, JSON/YAML as Go prints them, explanations, diffs."""
