"""What a screen shows about the zoo's entries, without state or gradio: pictures drawn from the shipped files and
the sentences and tables that go with them (the Translate tab's translators, Compare's λ_cyc sweep)."""
