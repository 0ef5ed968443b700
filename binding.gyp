{
  # The native backend's Node-API addon (DESIGN.md "native/"): runs a mount plan against the real
  # kernel in a forked child. Built by scripts/build-native.mjs into build/Release.
  'targets': [
    {
      'target_name': 'vfsemu_native',
      'sources': [
        'native/addon.cc',
        'native/child.cc',
        'native/supervise.cc',
        'native/record-tag.cc',
        'native/hostfs.cc',
      ],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8'],
      'cflags_cc': ['-std=c++17', '-O2', '-Wall', '-Wextra'],
      'cflags_cc!': ['-std=gnu++17', '-std=gnu++20', '-std=c++20'],
    },
  ],
}
