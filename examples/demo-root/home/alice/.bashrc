# ~/.bashrc
[[ $- != *i* ]] && return
