// Svelte's compiler options, shared by Vite, svelte-check and ESLint. Runes mode everywhere:
// state is declared with $state/$derived, never by plain `let` reactivity.
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};
