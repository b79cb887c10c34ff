// Boot: mount the app on the embedded local store. Everything else is in App.svelte.
import { mount } from "svelte";
import App from "./App.svelte";
import { tauriBackend } from "./ipc/api";
import "./styles.css";

const target = document.getElementById("app");
if (target) mount(App, { target, props: { backend: tauriBackend } });
