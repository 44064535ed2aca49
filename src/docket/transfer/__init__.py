"""Moving data in and out of Docket: importers from other trackers and exports."""
