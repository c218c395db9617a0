const t = "{[ not processed ]}"; const v = "{{ vue }}";
