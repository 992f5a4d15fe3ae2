from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(ManifestStaticFilesStorage):
    """ManifestStaticFilesStorage that also rewrites `import … from "./x.js"` to hashed names."""

    support_js_module_import_aggregation = True
