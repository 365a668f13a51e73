// esbuild bundles imported stylesheets into app.css; for the type checker they are modules with no value.
declare module "*.css";
