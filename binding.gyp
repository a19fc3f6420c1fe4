{
  "variables": {
    # 1 also builds heapwatch_test.node: the same addon with the test seams (native/test_seams.h).
    # `npm run build:test-addon`; never part of a package build.
    "heapwatch_test%": 0,
    "heapwatch_sources": [
      "native/addon.cc",
      "native/environment.cc",
      "native/snapshot_writer.cc",
      "native/snapshot_names.cc",
      "native/snapshot_ledger.cc",
      "native/disk_guard.cc",
      "native/heap_summary.cc",
      "native/signal_watcher.cc",
      "native/heap_limit.cc",
      "native/gc_monitor.cc",
      "native/heap_graph.cc",
      "native/snapshot_reader.cc",
      "native/dominator_tree.cc",
      "native/retainer_paths.cc",
      "native/heap_analysis.cc",
      "native/analysis_worker.cc"
    ]
  },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_DISABLE_CPP_EXCEPTIONS",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
    ],
    "cflags_cc!": ["-std=gnu++17", "-std=c++17", "-std=gnu++20"],
    "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags_cc": ["-std=c++20", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "xcode_settings": {
      "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES"
    }
  },
  "targets": [
    {
      "target_name": "heapwatch",
      "sources": ["<@(heapwatch_sources)"]
    }
  ],
  "conditions": [
    ["heapwatch_test==1", {
      "targets": [
        {
          "target_name": "heapwatch_test",
          "sources": ["<@(heapwatch_sources)", "native/test_seams.cc"],
          "defines": ["HEAPWATCH_TEST_SEAMS"]
        }
      ]
    }]
  ]
}
