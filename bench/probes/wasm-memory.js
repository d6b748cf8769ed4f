// execute_script(): bytes of the wasm instance's linear memory (null before the app has started).
return window.__w0 && window.__w0.wasm && window.__w0.wasm.memory
  ? window.__w0.wasm.memory.buffer.byteLength : null;
