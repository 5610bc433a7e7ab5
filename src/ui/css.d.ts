// esbuild bundles imported stylesheets into <entry>.css; TypeScript only needs to know they exist.
declare module '*.css';
